package dev.podswitch.dataplane.capture;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipeline's side of every capture podswitch makes ({@code run --capture} and
 * {@code podswitch capture}): a {@link FrameMirror} that copies each frame into a preallocated
 * ring of bytes and returns — no allocation, no lock, no wait. A frame that does not fit (the
 * reader is behind) is dropped and counted, never waited for: capturing must not slow the switch.
 * One reader thread drains the records ({@link #drain}) and writes them on — to a pcap file, or to
 * the socket of a live capture.
 *
 * <p>It lives in {@code switch} and knows nothing of pcap files: the data plane must not depend on
 * the pcap library (libpcap through JNA), and the agent, which only streams frames to its client,
 * must not carry it either. The pcap writer that drains this queue sits above, in {@code scenarios}.
 *
 * <p>Records are variable length (a frame is 60 bytes or a 64 KiB TCP super-frame), 8-byte
 * aligned; a record that would straddle the end of the ring is preceded by a padding record to
 * the end:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  record length (with padding)                 |  0
 *  |              kind: 0 padding, 1 received, 2 transmitted       |  4
 *  |                      timestamp (ns), 64 bits                  |  8
 *  |                                                               |
 *  |                      frame length (captured)                  | 16
 *  |                tunnel source IPv4 (received on the tunnel)    | 20
 *  |                      frame bytes ...                          | 24
 * </pre>
 * The producer publishes with a release store of the tail, the reader frees with a release store
 * of the head. The producer is one thread — the mirror is only ever called by its node's pipeline
 * thread, and {@link #offer} by the one thread that feeds a queue by hand; a try-lock guards the
 * single-producer rule anyway, refusing rather than waiting. The ring's memory is freed when
 * nothing references the queue any more: the pipeline may still write for the rest of the batch in
 * which its mirror was removed.
 */
public final class CaptureQueue implements FrameMirror
{
    /** The longest frame a record holds; longer ones are cut, as a pcap snap length cuts them (libpcap's default). */
    public static final int SNAPLEN = 262_144;
    /** Bytes of ring per capture: a few thousand MTU frames, or 60 TCP super-frames. */
    public static final int DEFAULT_CAPACITY = 4 << 20;
    /** The smallest ring: one largest record still fits twice in it. */
    public static final int MIN_CAPACITY = 64 << 10;
    private static final int KIND_PADDING = 0;
    private static final int KIND_RECEIVED = 1;
    private static final int KIND_TRANSMITTED = 2;
    private static final int HEADER_LENGTH = 24;
    private static final long RECORD_LENGTH_OFFSET = 0;
    private static final long KIND_OFFSET = 4;
    private static final long TIMESTAMP_OFFSET = 8;
    private static final long FRAME_LENGTH_OFFSET = 16;
    private static final long TUNNEL_SOURCE_OFFSET = 20;

    /** What the reader is handed, one record at a time; the bytes are valid only during the call. */
    @FunctionalInterface
    public interface RecordHandler
    {
        /** @param transmitted true: the frame left by the port; false: the port received it. */
        void onFrame(boolean transmitted, MemorySegment ring, long offset, int length, long timestampNs,
            int tunnelSourceIp);
    }

    private final MemorySegment ring;
    private final long capacity;
    private final long mask;
    private final int maxFrameLength;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    public CaptureQueue()
    {
        this(DEFAULT_CAPACITY);
    }

    /** @param capacity bytes, a power of two of at least {@link #MIN_CAPACITY}. */
    public CaptureQueue(final int capacity)
    {
        if (Integer.bitCount(capacity) != 1 || capacity < MIN_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be a power of two >= " + MIN_CAPACITY + ", got "
                + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        // A record never takes more than half the ring, so a padding record plus it always fits an empty ring.
        this.maxFrameLength = Math.min(SNAPLEN, capacity / 2 - HEADER_LENGTH);
        this.ring = Arena.ofAuto().allocate(capacity, Long.BYTES);
    }

    /**
     * What turns the pipeline's timestamps ({@link System#nanoTime()}, read once per batch) into
     * nanoseconds since the epoch, as of now: add it. A capture takes it once, when it starts.
     */
    public static long epochOffsetNs()
    {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
    }

    @Override
    public void received(final MemorySegment frame, final long offset, final int length, final int tunnelSourceIp,
        final long nowNs)
    {
        if (!offer(false, frame, offset, length, tunnelSourceIp, nowNs))
        {
            // Atomic, not a plain store: a second producer the try-lock refused counts its drop too.
            dropped.incrementAndGet();
        }
    }

    @Override
    public void transmitted(final MemorySegment frame, final long offset, final int length, final long nowNs)
    {
        if (!offer(true, frame, offset, length, 0, nowNs))
        {
            dropped.incrementAndGet();
        }
    }

    /** Frames copied into the ring so far. */
    public long queued()
    {
        return queued.get();
    }

    /** Frames the mirror had no room for (the reader was behind), so the capture misses them. */
    public long dropped()
    {
        return dropped.get();
    }

    /** The longest frame a record keeps whole; {@link #offer} cuts longer ones to it. */
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /**
     * Copies one frame in, cut to {@link #maxFrameLength()}, unless the ring has no room. Nothing is
     * counted as dropped here: the mirror methods drop and count, a producer that may wait (a
     * capture client, fed from a socket) retries.
     *
     * @return false when the ring is full (back-pressure), or another thread is offering.
     */
    public boolean offer(final boolean transmitted, final MemorySegment frame, final long offset, final int length,
        final int tunnelSourceIp, final long timestampNs)
    {
        if (!writing.compareAndSet(false, true))
        {
            return false;
        }
        try
        {
            final int captured = Math.min(length, maxFrameLength);
            final long recordLength = align(HEADER_LENGTH + captured);
            final long tailPosition = tail.get();
            final long index = tailPosition & mask;
            final long toEnd = capacity - index;
            final long padding = recordLength > toEnd ? toEnd : 0;
            if (tailPosition + padding + recordLength - head.getAcquire() > capacity)
            {
                return false;
            }
            long at = index;
            if (padding > 0)
            {
                ring.set(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET, (int)padding);
                ring.set(ValueLayout.JAVA_INT, index + KIND_OFFSET, KIND_PADDING);
                at = 0;
            }
            ring.set(ValueLayout.JAVA_INT, at + RECORD_LENGTH_OFFSET, (int)recordLength);
            ring.set(ValueLayout.JAVA_INT, at + KIND_OFFSET, transmitted ? KIND_TRANSMITTED : KIND_RECEIVED);
            ring.set(ValueLayout.JAVA_LONG, at + TIMESTAMP_OFFSET, timestampNs);
            ring.set(ValueLayout.JAVA_INT, at + FRAME_LENGTH_OFFSET, captured);
            ring.set(ValueLayout.JAVA_INT, at + TUNNEL_SOURCE_OFFSET, tunnelSourceIp);
            MemorySegment.copy(frame, offset, ring, at + HEADER_LENGTH, captured);
            tail.setRelease(tailPosition + padding + recordLength);
            queued.setRelease(queued.get() + 1);
            return true;
        }
        finally
        {
            writing.setRelease(false);
        }
    }

    /**
     * Hands up to {@code limit} queued frames to {@code handler}, oldest first, freeing each one's
     * room after the handler returned. The reader thread only.
     *
     * @return how many frames it handed over.
     */
    public int drain(final RecordHandler handler, final int limit)
    {
        long headPosition = head.get();
        final long tailPosition = tail.getAcquire();
        int handed = 0;
        while (headPosition < tailPosition && handed < limit)
        {
            final long index = headPosition & mask;
            final int recordLength = ring.get(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET);
            final int kind = ring.get(ValueLayout.JAVA_INT, index + KIND_OFFSET);
            if (kind != KIND_PADDING)
            {
                handler.onFrame(kind == KIND_TRANSMITTED, ring, index + HEADER_LENGTH,
                    ring.get(ValueLayout.JAVA_INT, index + FRAME_LENGTH_OFFSET),
                    ring.get(ValueLayout.JAVA_LONG, index + TIMESTAMP_OFFSET),
                    ring.get(ValueLayout.JAVA_INT, index + TUNNEL_SOURCE_OFFSET));
                handed++;
            }
            headPosition += recordLength;
            head.setRelease(headPosition);
        }
        return handed;
    }

    private static long align(final long length)
    {
        return (length + 7) & ~7L;
    }
}
