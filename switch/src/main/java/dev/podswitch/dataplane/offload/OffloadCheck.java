package dev.podswitch.dataplane.offload;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;

import java.lang.foreign.MemorySegment;

/**
 * Whether an offload request fits the frame it travels with, so that the work it asks for lands
 * where its protocol says and nowhere else.
 *
 * <p>Why the checksum field is pinned: the checksum a request asks for is written after policy has
 * judged the frame — by {@link SoftwareOffload}, or by the kernel behind another TAP, which takes
 * the request whole. A request that is only bounds-checked lets a pod aim that write at any two
 * bytes of its own frame, such as the UDP destination port policy has just allowed, and so reach a
 * port policy denies. So the checksum must start at the L4 header of a TCP or UDP packet over IPv4
 * (the only L4 the pipeline forwards with ports, and the only ones a kernel hands over partial:
 * ICMP and SCTP are summed in software) and its offset must be that protocol's checksum field —
 * 16 for TCP, 6 for UDP — as DPDK's vhost library checks ({@code vhost_dequeue_offload}) and
 * recent Linux checks of GSO packets ({@code virtio_net_hdr_to_skb}).
 *
 * <p>Why segments are capped: software segmentation runs on the node's pipeline thread, one copy
 * and one checksum per segment. A super-frame may make at most {@link #MAX_SEGMENTS}; where
 * requests come from pods, {@link #MIN_POD_SEGMENT_SIZE} keeps them well inside that.
 *
 * <p>Stateless; reads a few header bytes, allocates nothing.
 */
public final class OffloadCheck
{
    /**
     * The smallest segment size ({@code gso_size}) a pod may ask for. An IPv4 host must take
     * 576-byte datagrams (RFC 1122 §3.3.3), which gives the default MSS of 536 (RFC 9293 §3.7.1);
     * with 12 bytes of timestamps a stack sends 524 per segment on such a path. 512 lets that
     * through and refuses only sizes no TSO stack uses for bulk data (Linux accepts an MSS down to
     * 48 from a peer, but a pod that sees one is talking to a peer that asked for it, and only its
     * own connection suffers). At 512 a 64 KiB super-frame makes at most {@link #MAX_SEGMENTS}.
     */
    public static final int MIN_POD_SEGMENT_SIZE = 512;
    /** The most segments one super-frame may be cut into: 64 KiB of IPv4 payload at {@link #MIN_POD_SEGMENT_SIZE}. */
    public static final int MAX_SEGMENTS = 128;

    private static final int L3 = EthernetFlyweight.HEADER_LENGTH;
    private static final int ETHER_TYPE_OFFSET = 12;
    private static final int IPV4_MIN_HEADER_LENGTH = 20;
    private static final int IPV4_PROTOCOL = 9;
    private static final int TCP_MIN_HEADER_LENGTH = 20;
    private static final int TCP_DATA_OFFSET = 12;
    private static final int UDP_HEADER_LENGTH = 8;
    static final int TCP_CHECKSUM_OFFSET = 16;
    static final int UDP_CHECKSUM_OFFSET = 6;

    private OffloadCheck()
    {
    }

    /**
     * Whether {@code offload} may be carried out on the frame of {@code length} bytes at
     * {@code offset}: nothing to do; or a checksum request whose start is the frame's L4 header
     * (TCP or UDP over IPv4) and whose offset is that protocol's checksum field; or, in addition,
     * TCP segmentation (TCP over IPv4, a segment size of at least {@code minSegmentSize}, at most
     * {@link #MAX_SEGMENTS} segments).
     */
    public static boolean fits(final MemorySegment frame, final long offset, final int length, final long offload,
        final int minSegmentSize)
    {
        if (!Offload.needsWork(offload))
        {
            return true;
        }
        if (!Offload.needsChecksum(offload) || length < L3 + IPV4_MIN_HEADER_LENGTH
            || PacketBytes.getU16(frame, offset + ETHER_TYPE_OFFSET) != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            // Segmentation always asks for the checksum too (the kernel sets both); IPv4 only.
            return false;
        }
        final int versionAndIhl = PacketBytes.getU8(frame, offset + L3);
        final int l4 = L3 + (versionAndIhl & 0x0F) * 4;
        if (versionAndIhl >>> 4 != 4 || l4 < L3 + IPV4_MIN_HEADER_LENGTH || Offload.checksumStart(offload) != l4)
        {
            return false;
        }
        final int protocol = PacketBytes.getU8(frame, offset + L3 + IPV4_PROTOCOL);
        if (protocol == IpProtocol.UDP.number())
        {
            return !Offload.isSegmented(offload) && Offload.checksumOffset(offload) == UDP_CHECKSUM_OFFSET
                && l4 + UDP_HEADER_LENGTH <= length;
        }
        if (protocol != IpProtocol.TCP.number() || Offload.checksumOffset(offload) != TCP_CHECKSUM_OFFSET
            || l4 + TCP_MIN_HEADER_LENGTH > length)
        {
            return false;
        }
        return !Offload.isSegmented(offload) || segmentationFits(frame, offset, length, offload, l4, minSegmentSize);
    }

    private static boolean segmentationFits(final MemorySegment frame, final long offset, final int length,
        final long offload, final int l4, final int minSegmentSize)
    {
        final int headersEnd = l4 + (PacketBytes.getU8(frame, offset + l4 + TCP_DATA_OFFSET) >>> 4) * 4;
        final int segmentSize = Offload.segmentSize(offload);
        if ((Offload.gsoType(offload) & ~Offload.GSO_ECN) != Offload.GSO_TCPV4 || headersEnd < l4 + TCP_MIN_HEADER_LENGTH
            || headersEnd > length || segmentSize < Math.max(1, minSegmentSize))
        {
            return false;
        }
        return segments(length - headersEnd, segmentSize) <= MAX_SEGMENTS;
    }

    /** How many segments a payload of {@code payloadLength} bytes makes at {@code segmentSize} each (at least one). */
    static int segments(final int payloadLength, final int segmentSize)
    {
        return Math.max(1, (payloadLength + segmentSize - 1) / segmentSize);
    }
}
