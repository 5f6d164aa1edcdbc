package dev.podswitch.dataplane.offload;

import dev.podswitch.dataplane.packet.Checksums;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Does in software what a NIC's offload engine does, for frames that must leave through a path
 * that cannot take an offload request — the VXLAN tunnel (the wire carries only complete frames of
 * at most the pods' MTU) and in-memory ports: completes a partial L4 checksum, and cuts a TCP/IPv4
 * super-frame into segments of the size the sender's stack chose (its MSS), exactly as TSO would.
 *
 * <p>Segmentation per segment {@code i} of a super-frame with payload split in {@code mss} pieces:
 * the headers are copied; IPv4 total length and identification ({@code id + i}, as Linux's TSO
 * does) and the header checksum are set; the TCP sequence number advances by {@code i * mss};
 * FIN and PSH stay only on the last segment and CWR only on the first; the TCP checksum is
 * computed over pseudo-header, header and payload.
 *
 * <p>Pipeline thread only; one preallocated scratch buffer, no allocation per frame.
 */
public final class SoftwareOffload
{
    private static final int IPV4_TOTAL_LENGTH = 2;
    private static final int IPV4_IDENTIFICATION = 4;
    private static final int IPV4_PROTOCOL = 9;
    private static final int IPV4_CHECKSUM = 10;
    private static final int IPV4_SOURCE = 12;
    private static final int IPV4_DESTINATION = 16;
    private static final int TCP_SEQUENCE = 4;
    private static final int TCP_DATA_OFFSET = 12;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_CHECKSUM = 16;
    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;
    private static final int CSUM_MANGLED_ZERO = 0xFFFF;

    private final MemorySegment scratch;
    private long checksumsCompleted;
    private long framesSegmented;
    private long segmentsMade;

    /** @param frameCapacity the largest segment (headers + MSS) this engine must build. */
    public SoftwareOffload(final int frameCapacity)
    {
        this.scratch = Arena.ofAuto().allocate(frameCapacity, 64);
    }

    /**
     * Makes {@code frame} complete and hands the result to {@code sink}: as is (with its checksum
     * completed in place) or as segments built in a scratch buffer.
     *
     * @return true when everything was sent; false when a segment was refused by the sink or the
     *         request cannot be honoured — see {@link #isFeasible} to tell the two apart.
     */
    public boolean finish(final MemorySegment frame, final long offset, final int length, final long offload,
        final SegmentSink sink)
    {
        if (!isFeasible(frame, offset, length, offload))
        {
            return false;
        }
        if (Offload.isSegmented(offload))
        {
            return segment(frame, offset, length, offload, sink);
        }
        if (Offload.needsChecksum(offload))
        {
            completeChecksum(frame, offset, length, offload);
        }
        return sink.send(frame, offset, length);
    }

    /**
     * Whether {@link #finish} can honour {@code offload} for this frame (what it checks before any
     * work): the request fits the frame ({@link OffloadCheck}: the checksum field is the L4
     * checksum, at most {@link OffloadCheck#MAX_SEGMENTS} segments) and each segment fits the
     * scratch buffer. No floor on the segment size here: super-frames merged from the tunnel carry
     * the remote sender's, and merging never makes more segments than arrived.
     */
    public boolean isFeasible(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        if (!OffloadCheck.fits(frame, offset, length, offload, 1))
        {
            return false;
        }
        return !Offload.isSegmented(offload) || tcpHeadersEnd(frame, offset, length, offload) > 0;
    }

    /** Sums {@code [checksumStart, end)} over the pseudo-header seed and stores the result in place. */
    private void completeChecksum(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        final int start = Offload.checksumStart(offload);
        final int checksum = Checksums.fold(Checksums.sum(frame, offset + start, length - start, 0));
        PacketBytes.putU16(frame, offset + start + Offload.checksumOffset(offload),
            checksum == 0 ? CSUM_MANGLED_ZERO : checksum);
        checksumsCompleted++;
    }

    private boolean segment(final MemorySegment frame, final long offset, final int length, final long offload,
        final SegmentSink sink)
    {
        final int headersEnd = tcpHeadersEnd(frame, offset, length, offload);
        if (headersEnd <= 0)
        {
            return false;
        }
        final int mss = Offload.segmentSize(offload);
        final int payload = length - headersEnd;
        final int l3 = EthernetFlyweight.HEADER_LENGTH;
        final int l4 = l3 + (PacketBytes.getU8(frame, offset + l3) & 0x0F) * 4;
        final int identification = PacketBytes.getU16(frame, offset + l3 + IPV4_IDENTIFICATION);
        final int sequence = PacketBytes.getI32(frame, offset + l4 + TCP_SEQUENCE);
        final int flags = PacketBytes.getU8(frame, offset + l4 + TCP_FLAGS);
        final int sourceIp = PacketBytes.getI32(frame, offset + l3 + IPV4_SOURCE);
        final int destinationIp = PacketBytes.getI32(frame, offset + l3 + IPV4_DESTINATION);
        final int segments = OffloadCheck.segments(payload, mss);
        boolean allSent = true;
        for (int i = 0; i < segments; i++)
        {
            final int chunk = Math.min(mss, payload - i * mss);
            MemorySegment.copy(frame, offset, scratch, 0, headersEnd);
            MemorySegment.copy(frame, offset + headersEnd + (long)i * mss, scratch, headersEnd, chunk);
            final int segmentLength = headersEnd + chunk;
            PacketBytes.putU16(scratch, l3 + IPV4_TOTAL_LENGTH, segmentLength - l3);
            PacketBytes.putU16(scratch, l3 + IPV4_IDENTIFICATION, (identification + i) & 0xFFFF);
            PacketBytes.putU16(scratch, l3 + IPV4_CHECKSUM, 0);
            PacketBytes.putU16(scratch, l3 + IPV4_CHECKSUM, Checksums.internet(scratch, l3, l4 - l3));
            PacketBytes.putI32(scratch, l4 + TCP_SEQUENCE, sequence + i * mss);
            int segmentFlags = flags;
            if (i < segments - 1)
            {
                segmentFlags &= ~(TCP_FIN | TCP_PSH);
            }
            if (i > 0)
            {
                segmentFlags &= ~TCP_CWR;
            }
            PacketBytes.putU8(scratch, l4 + TCP_FLAGS, segmentFlags);
            final int tcpLength = segmentLength - l4;
            PacketBytes.putU16(scratch, l4 + TCP_CHECKSUM, 0);
            final long pseudo = Checksums.pseudoHeaderSum(sourceIp, destinationIp, IpProtocol.TCP.number(), tcpLength);
            PacketBytes.putU16(scratch, l4 + TCP_CHECKSUM, Checksums.fold(Checksums.sum(scratch, l4, tcpLength, pseudo)));
            segmentsMade++;
            allSent &= sink.send(scratch, 0, segmentLength);
        }
        framesSegmented++;
        return allSent;
    }

    /**
     * Where the TCP header of a TCP/IPv4 super-frame ends, or -1 when the frame is not one this
     * engine can cut (not IPv4/TCP, headers beyond the frame, no segment size, or segments that
     * would not fit the scratch buffer).
     */
    private int tcpHeadersEnd(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        final int l3 = EthernetFlyweight.HEADER_LENGTH;
        if ((Offload.gsoType(offload) & ~Offload.GSO_ECN) != Offload.GSO_TCPV4 || length < l3 + 20
            || PacketBytes.getU16(frame, offset + 12) != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            return -1;
        }
        final int versionAndIhl = PacketBytes.getU8(frame, offset + l3);
        final int l4 = l3 + (versionAndIhl & 0x0F) * 4;
        if (versionAndIhl >>> 4 != 4 || l4 < l3 + 20 || l4 + 20 > length
            || PacketBytes.getU8(frame, offset + l3 + IPV4_PROTOCOL) != IpProtocol.TCP.number())
        {
            return -1;
        }
        final int headersEnd = l4 + (PacketBytes.getU8(frame, offset + l4 + TCP_DATA_OFFSET) >>> 4) * 4;
        final int mss = Offload.segmentSize(offload);
        if (headersEnd < l4 + 20 || headersEnd > length || mss == 0 || headersEnd + mss > scratch.byteSize())
        {
            return -1;
        }
        return headersEnd;
    }

    public long checksumsCompleted()
    {
        return checksumsCompleted;
    }

    public long framesSegmented()
    {
        return framesSegmented;
    }

    public long segmentsMade()
    {
        return segmentsMade;
    }
}
