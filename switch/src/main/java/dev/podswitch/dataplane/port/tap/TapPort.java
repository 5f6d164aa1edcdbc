package dev.podswitch.dataplane.port.tap;

import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A switch port backed by a {@link TapDevice}: a live pod's eth0 is the other end. The node's
 * agent polls it ({@link ReceiveSource}) and the pipeline transmits to it ({@link Port}), both on
 * the node's thread, so the port needs no synchronisation.
 *
 * <p>Receive copies nothing in user space: a frame is read (readv: virtio-net header, then frame)
 * into a spare buffer of slot size, which then changes places with a free ring slot
 * ({@link FrameRing#offerSwapping}). Reading into a claimed slot instead would leave a claimed,
 * empty slot to publish whenever the read finds nothing; the swap needs no claim until a frame is
 * there.
 *
 * <p>Counters are plain fields written by the node's thread only (no fence per frame); other
 * threads read them for reports, exactly once the node's agent is stopped, approximately before. A frame the ring refuses is counted by the ring.
 * Lifecycle: created with its device, added to one node as port and receive source, removed from
 * it while the node's agent is stopped, then {@link #close()}d.
 */
public final class TapPort implements Port, ReceiveSource, AutoCloseable
{
    private final int id;
    private final TapDevice device;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment receiveHeader;
    /** The buffer the next frame is read into; it changes places with a ring slot on every frame. */
    private MemorySegment spare;
    private final MemorySegment transmitScratch;
    private long receivedFrames;
    private long receiveErrors;
    private static final int ENODEV = 19;
    private static final int EBADFD = 77;
    private boolean detached;
    private boolean detachReported;
    private long badOffloadDrops;
    private long offloadedFrames;
    private long transmittedFrames;
    private long transmitFailures;

    /**
     * @param frameCapacity the node's ring slot size: the largest frame this port receives (with
     *        offloads, {@link dev.podswitch.dataplane.ring.Frame#OFFLOAD_CAPACITY} so super-frames fit).
     */
    public TapPort(final int id, final TapDevice device, final int frameCapacity)
    {
        this.id = id;
        this.device = device;
        // One byte more than a slot holds, so a frame too long for the ring arrives as such (and
        // is counted FRAME_TOO_LONG by the ring) instead of silently truncated by the kernel.
        this.receiveHeader = arena.allocate(VirtioNetHeader.LENGTH, 8);
        this.transmitScratch = arena.allocate(frameCapacity, 64);
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String name()
    {
        return device.name();
    }

    public TapDevice device()
    {
        return device;
    }

    @Override
    public boolean takeDetached()
    {
        if (detached && !detachReported)
        {
            detachReported = true;
            return true;
        }
        return false;
    }

    @Override
    public int poll(final FrameRing ring, final int limit)
    {
        if (detached)
        {
            return 0;
        }
        if (spare == null)
        {
            spare = ring.newSwapBuffer();
        }
        int frames = 0;
        while (frames < limit)
        {
            final int read = device.read(receiveHeader, spare);
            if (read < 0)
            {
                if (read == TapDevice.READ_ERROR)
                {
                    receiveErrors++;
                    // EBADFD / ENODEV: the device went with its namespace; it will never read again.
                    detached = device.lastReadErrno() == EBADFD || device.lastReadErrno() == ENODEV;
                }
                break;
            }
            frames++;
            final int frameLength = read - VirtioNetHeader.LENGTH;
            if (frameLength >= spare.byteSize())
            {
                // Filled the slot to the last byte: the kernel may have cut it. Never hand on a cut frame.
                ring.droppedAtReceive(DropReason.FRAME_TOO_LONG);
                continue;
            }
            final long offload = frameLength < 0 ? VirtioNetHeader.INVALID
                : VirtioNetHeader.read(receiveHeader, 0, spare, 0, frameLength);
            if (offload == VirtioNetHeader.INVALID || Offload.needsWork(offload) && !device.offloads())
            {
                // Never hand on a frame whose header we cannot honour (or did not ask for): its checksum
                // would be written after policy judged the frame, so it must aim at the checksum field.
                badOffloadDrops++;
                ring.droppedAtReceive(DropReason.BAD_OFFLOAD);
                continue;
            }
            if (offload != Offload.NONE)
            {
                offloadedFrames++;
            }
            receivedFrames++;
            // No copy: the filled buffer becomes the slot, the slot's old buffer is filled next.
            spare = ring.offerSwapping(id, spare, frameLength, offload);
        }
        return frames;
    }

    @Override
    public int readinessFd()
    {
        return device.fd();
    }

    @Override
    public boolean acceptsOffloads()
    {
        return device.offloads();
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        // Only ever called with native ring memory (the pipeline finishes anything else in software).
        final boolean sent = frame.isNative() && device.write(frame, offset, length, offload);
        if (sent)
        {
            transmittedFrames++;
        }
        else
        {
            transmitFailures++;
        }
        return sent;
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length)
    {
        final boolean sent;
        if (frame.isNative())
        {
            sent = device.write(frame, offset, length);
        }
        else if (length <= transmitScratch.byteSize())
        {
            MemorySegment.copy(frame, offset, transmitScratch, 0, length);
            sent = device.write(transmitScratch, 0, length);
        }
        else
        {
            sent = false;
        }
        if (sent)
        {
            transmittedFrames++;
        }
        else
        {
            transmitFailures++;
        }
        return sent;
    }

    /** Frames read from the device and offered to the ring (the ring counts those it refused). */
    public long receivedCount()
    {
        return receivedFrames;
    }

    public long receiveErrorCount()
    {
        return receiveErrors;
    }

    /**
     * Frames dropped because their virtio-net header was malformed, asked for offloads that are off,
     * or did not fit the frame (see {@link dev.podswitch.dataplane.offload.OffloadCheck}).
     */
    public long badOffloadDropCount()
    {
        return badOffloadDrops;
    }

    /** Frames received with an offload request (a partial checksum or a TCP super-frame). */
    public long offloadedCount()
    {
        return offloadedFrames;
    }

    public long transmittedCount()
    {
        return transmittedFrames;
    }

    /** Frames the device refused (queue full, link down); the pipeline counts each as PORT_DOWN. */
    public long transmitFailureCount()
    {
        return transmitFailures;
    }

    /** Closes the device (removing the link) and frees the buffers; the node must not poll it any more. */
    @Override
    public void close()
    {
        try
        {
            device.close();
        }
        finally
        {
            arena.close();
        }
    }

    @Override
    public String toString()
    {
        return "TapPort{" + id + ", " + device.name() + ", rx=" + receivedFrames + ", tx=" + transmittedFrames
            + ", txFailed=" + transmitFailures + "}";
    }
}
