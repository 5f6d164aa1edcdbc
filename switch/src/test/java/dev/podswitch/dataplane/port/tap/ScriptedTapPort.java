package dev.podswitch.dataplane.port.tap;

import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link TapPort} without a device, for tests that need no root: each {@link #read} is what one
 * {@code readv} on a TAP fd opened with {@code IFF_VNET_HDR} would return — a virtio-net header,
 * then the frame — and {@link #poll} decides on it as {@code TapPort.poll} does (a read shorter
 * than the header or a header no kernel with our settings writes: {@code BAD_OFFLOAD}; an offload
 * request on a TAP opened without offloads: {@code BAD_OFFLOAD}; a frame that fills the slot:
 * {@code FRAME_TOO_LONG}; else the buffer changes places with a ring slot). Kept in step with
 * {@code TapPort.poll} by hand; {@code TapPortRootTest} runs the real one on a device.
 *
 * <p>Transmit keeps a copy of each frame and builds the virtio-net header for its offload request
 * as {@code TapDevice.write} does, over the frame's own bytes only, so a header built from bytes
 * beyond the frame is an exception here rather than a silently stale {@code hdr_len}.
 * Owned by the test's thread, which plays the node's thread.
 */
public final class ScriptedTapPort implements Port, ReceiveSource
{
    /** A frame the switch wrote to the TAP, with the offload request it went with (0: complete). */
    public record Written(byte[] frame, long offload)
    {
    }

    private final int id;
    private final boolean offloads;
    private final ArrayDeque<byte[]> reads = new ArrayDeque<>();
    private final List<Written> written = new ArrayList<>();
    private final MemorySegment header = Arena.ofAuto().allocate(VirtioNetHeader.LENGTH, 8);
    private final MemorySegment writeHeader = Arena.ofAuto().allocate(VirtioNetHeader.LENGTH, 8);
    private MemorySegment spare;

    /** @param offloads whether the TAP was opened with offloads (TUNSETOFFLOAD CSUM | TSO4 | TSO6). */
    public ScriptedTapPort(final int id, final boolean offloads)
    {
        this.id = id;
        this.offloads = offloads;
    }

    /** Queues what the next read returns: virtio-net header and frame, as the kernel hands them over. */
    public ScriptedTapPort read(final byte[] headerAndFrame)
    {
        reads.add(headerAndFrame);
        return this;
    }

    public boolean hasReads()
    {
        return !reads.isEmpty();
    }

    public List<Written> written()
    {
        return written;
    }

    @Override
    public int poll(final FrameRing ring, final int limit)
    {
        if (spare == null)
        {
            spare = ring.newSwapBuffer();
        }
        int frames = 0;
        while (frames < limit && !reads.isEmpty())
        {
            final byte[] read = reads.poll();
            frames++;
            // readv fills the header first, then at most the spare buffer.
            final int headerBytes = Math.min(read.length, VirtioNetHeader.LENGTH);
            header.fill((byte)0);
            MemorySegment.copy(MemorySegment.ofArray(read), 0, header, 0, headerBytes);
            final int frameBytes = (int)Math.min(read.length - headerBytes, spare.byteSize());
            MemorySegment.copy(MemorySegment.ofArray(read), headerBytes, spare, 0, frameBytes);
            final int frameLength = headerBytes + frameBytes - VirtioNetHeader.LENGTH;
            if (frameLength >= spare.byteSize())
            {
                ring.droppedAtReceive(DropReason.FRAME_TOO_LONG);
                continue;
            }
            final long offload = frameLength < 0 ? VirtioNetHeader.INVALID
                : VirtioNetHeader.read(header, 0, spare, 0, frameLength);
            if (offload == VirtioNetHeader.INVALID || Offload.needsWork(offload) && !offloads)
            {
                ring.droppedAtReceive(DropReason.BAD_OFFLOAD);
                continue;
            }
            spare = ring.offerSwapping(id, spare, frameLength, offload);
        }
        return frames;
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String name()
    {
        return "tap-" + id;
    }

    @Override
    public boolean acceptsOffloads()
    {
        return offloads;
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length)
    {
        written.add(new Written(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE), 0));
        return true;
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        final MemorySegment own = frame.asSlice(offset, length);
        VirtioNetHeader.write(writeHeader, offload, own, 0);
        written.add(new Written(own.toArray(ValueLayout.JAVA_BYTE), offload));
        return true;
    }
}
