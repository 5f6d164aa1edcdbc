package dev.podswitch.dataplane.offload;

import dev.podswitch.dataplane.packet.Checksums;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Receive-side coalescing (what Linux calls GRO) for frames that arrive from the tunnel as a train:
 * consecutive in-order TCP/IPv4 segments of one flow become one super-frame with an offload
 * request (TCP GSO, partial checksum), so it crosses the pipeline once and reaches the pod's TAP
 * in one write, and the pod's kernel takes it as its own GRO would have built it.
 *
 * <p>A segment joins the frame being built only when it is exactly what the previous ones were
 * missing: same addresses, ports, acknowledgment, window, TOS, TTL and TCP options; sequence number
 * where the last one ended; flags ACK (PSH ends the frame); a payload of the first one's size (a
 * shorter one ends it); valid IPv4 and TCP checksums (the super-frame's partial checksum tells
 * the kernel not to check again, so nothing unverified may go into it). Anything else flushes what
 * was built and passes on alone, in order.
 *
 * <p>One thread (the tunnel's receive path); preallocated, no allocation per frame.
 */
public final class TcpCoalescer
{
    /** Where a finished frame goes: the node's ring. */
    @FunctionalInterface
    public interface Output
    {
        void emit(MemorySegment frame, long offset, int length, long offload);
    }

    private static final int L3 = EthernetFlyweight.HEADER_LENGTH;
    private static final int L4 = L3 + 20;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = 0x08;
    private static final int MAX_IP_LENGTH = 65_535;

    private final MemorySegment staging;
    private final int capacity;
    private int length;
    private int segments;
    private int segmentSize;
    private int headersEnd;
    private int nextSequence;
    private boolean closed;
    private long framesBuilt;
    private long segmentsMerged;

    /** @param capacity the largest frame to build: the ring slot size. */
    public TcpCoalescer(final int capacity)
    {
        this.capacity = capacity;
        this.staging = Arena.ofAuto().allocate(capacity, 64);
    }

    /**
     * Takes one frame: merged into the frame being built, or — when it cannot be — the frame built
     * so far is emitted first, then this one starts a new one or is emitted alone.
     */
    public void accept(final MemorySegment frame, final long offset, final int frameLength, final Output output)
    {
        final int frameHeadersEnd = mergeableHeadersEnd(frame, offset, frameLength);
        if (frameHeadersEnd > 0 && length > 0 && fits(frame, offset, frameLength, frameHeadersEnd))
        {
            append(frame, offset, frameLength, frameHeadersEnd);
            return;
        }
        flush(output);
        if (frameHeadersEnd > 0 && frameLength <= capacity)
        {
            start(frame, offset, frameLength, frameHeadersEnd);
        }
        else
        {
            output.emit(frame, offset, frameLength, Offload.NONE);
        }
    }

    /** Emits the frame being built, if any: as it came when it is a single segment, else as a super-frame. */
    public void flush(final Output output)
    {
        if (length == 0)
        {
            return;
        }
        if (segments == 1)
        {
            output.emit(staging, 0, length, Offload.NONE);
        }
        else
        {
            final int ipLength = length - L3;
            PacketBytes.putU16(staging, L3 + 2, ipLength);
            PacketBytes.putU16(staging, L3 + 10, 0);
            PacketBytes.putU16(staging, L3 + 10, Checksums.internet(staging, L3, 20));
            final int tcpLength = length - L4;
            final long pseudo = Checksums.pseudoHeaderSum(PacketBytes.getI32(staging, L3 + 12),
                PacketBytes.getI32(staging, L3 + 16), IpProtocol.TCP.number(), tcpLength);
            // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not inverted.
            PacketBytes.putU16(staging, L4 + 16, ~Checksums.fold(pseudo) & 0xFFFF);
            output.emit(staging, 0, length,
                Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, segmentSize, L4, 16));
            framesBuilt++;
            segmentsMerged += segments;
        }
        length = 0;
        segments = 0;
    }

    private void start(final MemorySegment frame, final long offset, final int frameLength, final int frameHeadersEnd)
    {
        MemorySegment.copy(frame, offset, staging, 0, frameLength);
        length = frameLength;
        segments = 1;
        headersEnd = frameHeadersEnd;
        segmentSize = frameLength - frameHeadersEnd;
        nextSequence = PacketBytes.getI32(frame, offset + L4 + 4) + segmentSize;
        closed = (PacketBytes.getU8(frame, offset + L4 + 13) & TCP_PSH) != 0;
    }

    private boolean fits(final MemorySegment frame, final long offset, final int frameLength, final int frameHeadersEnd)
    {
        final int payload = frameLength - frameHeadersEnd;
        // At most OffloadCheck.MAX_SEGMENTS: a super-frame of more is one nobody downstream may cut
        // (tiny segments fill a large slot long before its bytes run out).
        if (closed || frameHeadersEnd != headersEnd || payload > segmentSize || length + payload > capacity
            || segments >= OffloadCheck.MAX_SEGMENTS || length - L3 + payload > MAX_IP_LENGTH
            || PacketBytes.getI32(frame, offset + L4 + 4) != nextSequence)
        {
            return false;
        }
        // Ethernet, then IPv4 TOS and TTL/protocol, addresses; TCP ports, ack, offset, window, urgent, options.
        return sameBytes(frame, offset, 0, 12)
            && PacketBytes.getU8(frame, offset + L3 + 1) == PacketBytes.getU8(staging, L3 + 1)
            && PacketBytes.getU16(frame, offset + L3 + 6) == PacketBytes.getU16(staging, L3 + 6)
            && PacketBytes.getU8(frame, offset + L3 + 8) == PacketBytes.getU8(staging, L3 + 8)
            && sameBytes(frame, offset, L3 + 12, 8)
            && sameBytes(frame, offset, L4, 4)
            && sameBytes(frame, offset, L4 + 8, 5)
            && sameBytes(frame, offset, L4 + 14, 2)
            && sameBytes(frame, offset, L4 + 18, headersEnd - L4 - 18);
    }

    private void append(final MemorySegment frame, final long offset, final int frameLength, final int frameHeadersEnd)
    {
        final int payload = frameLength - frameHeadersEnd;
        MemorySegment.copy(frame, offset + frameHeadersEnd, staging, length, payload);
        length += payload;
        segments++;
        nextSequence += payload;
        final int flags = PacketBytes.getU8(frame, offset + L4 + 13);
        if ((flags & TCP_PSH) != 0)
        {
            PacketBytes.putU8(staging, L4 + 13, PacketBytes.getU8(staging, L4 + 13) | TCP_PSH);
            closed = true;
        }
        if (payload < segmentSize)
        {
            closed = true;
        }
    }

    private boolean sameBytes(final MemorySegment frame, final long offset, final int from, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (frame.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + from + i)
                != staging.get(java.lang.foreign.ValueLayout.JAVA_BYTE, from + i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the TCP header of a segment that may be merged ends, or -1: IPv4 without options, not a
     * fragment, exactly the frame's length, TCP with payload, flags ACK or ACK+PSH, both checksums valid.
     */
    static int mergeableHeadersEnd(final MemorySegment frame, final long offset, final int frameLength)
    {
        if (frameLength < L4 + 20 || PacketBytes.getU16(frame, offset + 12) != EthernetFlyweight.ETHER_TYPE_IPV4
            || PacketBytes.getU8(frame, offset + L3) != 0x45
            || PacketBytes.getU8(frame, offset + L3 + 9) != IpProtocol.TCP.number()
            || (PacketBytes.getU16(frame, offset + L3 + 6) & 0x3FFF) != 0
            || PacketBytes.getU16(frame, offset + L3 + 2) != frameLength - L3)
        {
            return -1;
        }
        final int flags = PacketBytes.getU8(frame, offset + L4 + 13);
        final int end = L4 + (PacketBytes.getU8(frame, offset + L4 + 12) >>> 4) * 4;
        if ((flags & ~TCP_PSH) != TCP_ACK || end < L4 + 20 || end >= frameLength
            || Checksums.fold(Checksums.sum(frame, offset + L3, 20, 0)) != 0)
        {
            return -1;
        }
        final int tcpLength = frameLength - L4;
        final long pseudo = Checksums.pseudoHeaderSum(PacketBytes.getI32(frame, offset + L3 + 12),
            PacketBytes.getI32(frame, offset + L3 + 16), IpProtocol.TCP.number(), tcpLength);
        return Checksums.fold(Checksums.sum(frame, offset + L4, tcpLength, pseudo)) == 0 ? end : -1;
    }

    /** Super-frames built (of two segments or more). */
    public long framesBuilt()
    {
        return framesBuilt;
    }

    /** Segments that went into those super-frames. */
    public long segmentsMerged()
    {
        return segmentsMerged;
    }
}
