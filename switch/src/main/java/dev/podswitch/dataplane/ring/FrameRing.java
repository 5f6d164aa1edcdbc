package dev.podswitch.dataplane.ring;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.MemorySegment;

/**
 * A node's receive ring: an LMAX Disruptor ring buffer of preallocated {@link Frame} slots, fed by
 * every port of the node (multi-producer) and drained by the node's pipeline through an
 * {@link EventPoller}, so the pipeline runs inside whatever agent loop owns the node. A full ring
 * is a counted drop at receive and never blocks the producer, which may be another node's thread.
 *
 * <p>The ring and its {@link Frame} slots have a package of their own, below the ports and the
 * pipeline: every port (TAP, tunnel, memory endpoint) writes into it and the node's pipeline
 * drains it, so both import it and it imports neither (only {@code packet} and {@code stats}).
 */
public final class FrameRing
{
    private final RingBuffer<Frame> ring;
    private final EventPoller<Frame> poller;
    private final DatapathCounters counters;
    private final int frameCapacity;

    public FrameRing(final int size, final int frameCapacity, final DatapathCounters counters)
    {
        this.frameCapacity = frameCapacity;
        // Consumers never block on the ring: they poll it from an agent loop that idles through its
        // own IdleStrategy. So the wait strategy only matters for what publish pays to signal, and
        // BusySpin's signal is a no-op (Blocking's took a lock and notifyAll per publish: 13% of
        // the one-node profile in bench/README.md).
        this.ring = RingBuffer.createMultiProducer(() -> new Frame(frameCapacity), size, new BusySpinWaitStrategy());
        this.poller = ring.newPoller();
        this.ring.addGatingSequences(poller.getSequence());
        this.counters = counters;
    }

    /**
     * Claims a slot for a producer to fill in place.
     *
     * @return the slot's sequence, or -1 (counted as {@link DropReason#RING_FULL}) when full.
     */
    public long tryClaim()
    {
        try
        {
            return ring.tryNext();
        }
        catch (final InsufficientCapacityException full)
        {
            // Disruptor throws a shared, stackless instance: no allocation on this path.
            counters.droppedAtReceive(DropReason.RING_FULL);
            return -1;
        }
    }

    /** Counts a frame a port dropped before it could reach the ring (e.g. a malformed offload header). */
    public void droppedAtReceive(final DropReason reason)
    {
        counters.droppedAtReceive(reason);
    }

    public Frame slot(final long sequence)
    {
        return ring.get(sequence);
    }

    public void publish(final long sequence)
    {
        ring.publish(sequence);
    }

    public int frameCapacity()
    {
        return frameCapacity;
    }

    /** Whether a slot holds a 64 KiB TCP super-frame: only then may a TAP hand over offloaded frames. */
    public boolean holdsSuperFrames()
    {
        return frameCapacity >= Frame.OFFLOAD_CAPACITY;
    }

    /** Copies a frame in and publishes it; false when it is too long or the ring is full (both counted). */
    public boolean offer(final int inPortId, final MemorySegment source, final long offset, final int length)
    {
        return offer(inPortId, 0, source, offset, length);
    }

    /** As {@link #offer(int, MemorySegment, long, int)}, for a frame the tunnel decapsulated from {@code vtepIp}. */
    public boolean offer(final int inPortId, final int vtepIp, final MemorySegment source, final long offset,
        final int length)
    {
        return offer(inPortId, vtepIp, source, offset, length, 0);
    }

    /** As {@link #offer(int, MemorySegment, long, int)}, for a frame with an offload request (a TAP's virtio-net header). */
    public boolean offer(final int inPortId, final int vtepIp, final MemorySegment source, final long offset,
        final int length, final long offload)
    {
        if (length > frameCapacity)
        {
            // Checked before claiming: a claimed slot that is never published would stall the ring forever.
            counters.droppedAtReceive(DropReason.FRAME_TOO_LONG);
            return false;
        }
        final long sequence = tryClaim();
        if (sequence < 0)
        {
            return false;
        }
        final Frame frame = ring.get(sequence);
        MemorySegment.copy(source, offset, frame.segment(), 0, length);
        frame.length(length);
        frame.inPortId(inPortId);
        frame.tunnelSourceIp(vtepIp);
        frame.offload(offload);
        ring.publish(sequence);
        return true;
    }

    /**
     * As {@link #offer(int, MemorySegment, long, int)}, for a producer that would rather wait than
     * drop (a replay from the control API): false when the ring is full, and that is <em>not</em>
     * counted as a drop, since the caller retries the same frame. Safe from any thread: the ring is
     * multi-producer (Disruptor's claim is a CAS on the shared cursor), as for every other port.
     *
     * @throws IllegalArgumentException when the frame is longer than a slot (the caller checks first).
     */
    public boolean offerIfRoom(final int inPortId, final MemorySegment source, final long offset, final int length)
    {
        if (length > frameCapacity)
        {
            throw new IllegalArgumentException("a " + length + "-byte frame does not fit a " + frameCapacity
                + "-byte ring slot");
        }
        final long sequence;
        try
        {
            sequence = ring.tryNext();
        }
        catch (final InsufficientCapacityException full)
        {
            return false;
        }
        final Frame frame = ring.get(sequence);
        MemorySegment.copy(source, offset, frame.segment(), 0, length);
        frame.length(length);
        frame.inPortId(inPortId);
        frame.tunnelSourceIp(0);
        frame.offload(0);
        ring.publish(sequence);
        return true;
    }

    /**
     * Publishes the frame in {@code filled} by swapping buffers with a free slot (see
     * {@link Frame#swap}); returns the buffer to fill next — the slot's old one, or {@code filled}
     * itself when the ring is full (a counted RING_FULL drop).
     */
    public MemorySegment offerSwapping(final int inPortId, final MemorySegment filled, final int length,
        final long offload)
    {
        final long sequence = tryClaim();
        if (sequence < 0)
        {
            return filled;
        }
        final Frame frame = ring.get(sequence);
        final MemorySegment next = frame.swap(filled);
        frame.length(length);
        frame.inPortId(inPortId);
        frame.tunnelSourceIp(0);
        frame.offload(offload);
        ring.publish(sequence);
        return next;
    }

    /** A buffer that can take a slot's place in {@link #offerSwapping}: the slot size, from an automatic arena. */
    public MemorySegment newSwapBuffer()
    {
        return java.lang.foreign.Arena.ofAuto().allocate(frameCapacity, 64);
    }

    /** Hands every published frame to {@code handler}; returns how many it saw. */
    public int drain(final EventPoller.Handler<Frame> handler) throws Exception
    {
        final long before = poller.getSequence().get();
        poller.poll(handler);
        return (int)(poller.getSequence().get() - before);
    }

    public boolean isEmpty()
    {
        return ring.getCursor() == poller.getSequence().get();
    }

    /** How many slots the ring has. */
    public int slots()
    {
        return ring.getBufferSize();
    }

    /**
     * Slots in use now: claimed by a producer and not yet drained by the pipeline. Any thread may
     * ask (two volatile reads, the producers' cursor and the poller's sequence); while frames flow the
     * answer is a moment's, clamped to [0, {@link #slots()}] (the two reads are not taken at one
     * instant). Not used by the data plane itself.
     */
    public int occupancy()
    {
        final long used = ring.getBufferSize() - ring.remainingCapacity();
        return (int)Math.max(0, Math.min(ring.getBufferSize(), used));
    }
}
