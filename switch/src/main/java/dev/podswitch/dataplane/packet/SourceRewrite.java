package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * Makes a captured frame look as if a given pod had sent it: its source MAC and IPv4 source
 * address become the pod's, its destination MAC the node gateway's, and every checksum that covers
 * the source address is made right again — the IPv4 header's, and TCP's and UDP's through their
 * pseudo-header. {@code podswitch replay --rewrite-source} does this to each frame of a capture so
 * that the anti-spoofing check lets it in and policy judges it as the pod's own.
 *
 * <p>What is rewritten, by what the frame holds (never more than {@code length} bytes are read):
 * <ul>
 * <li>IPv4: source address, header checksum recomputed whole. A whole TCP segment or UDP datagram
 *     gets its checksum recomputed whole (so a capture taken with checksum offload, whose checksums
 *     were never filled in, comes out valid); a UDP datagram sent without a checksum (0) keeps none.
 *     The first fragment of a fragmented datagram carries the L4 header but not all the data it
 *     sums: its checksum is patched for the new address only (RFC 1624), right if it was right.
 *     Later fragments have no L4 header. ICMP and SCTP checksums do not cover the address.</li>
 * <li>ARP: the sender MAC and sender IP (a probe's 0.0.0.0 sender stays 0.0.0.0).</li>
 * <li>Anything else (IPv6, VLAN-tagged): the two MACs only. A frame shorter than an Ethernet
 *     header is left alone; an IPv4 header cut short or malformed gets its MACs only.</li>
 * </ul>
 * Not thread-safe per instance (flyweights); cheap to make one per caller.
 */
public final class SourceRewrite
{
    /** What {@link #apply} changed. */
    public enum Result
    {
        /** Shorter than an Ethernet header: untouched. */
        UNTOUCHED,
        /** MACs only (not IPv4 or ARP, or an IPv4 or ARP header the frame does not hold whole). */
        MACS_ONLY,
        /** An IPv4 packet: MACs, source address and its checksums. */
        IPV4,
        /** An ARP packet: MACs and sender. */
        ARP
    }

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    private final long sourceMac;
    private final int sourceIp;
    private final long destinationMac;

    /**
     * @param sourceMac      the pod's MAC ({@code 0a:58:} + its IP).
     * @param sourceIp       the pod's IPv4 address.
     * @param destinationMac the node gateway's MAC, where a pod sends everything it routes.
     */
    public SourceRewrite(final long sourceMac, final int sourceIp, final long destinationMac)
    {
        this.sourceMac = sourceMac;
        this.sourceIp = sourceIp;
        this.destinationMac = destinationMac;
    }

    /** Rewrites the frame of {@code length} bytes at {@code offset} in place. */
    public Result apply(final MemorySegment frame, final long offset, final int length)
    {
        if (length < EthernetFlyweight.HEADER_LENGTH)
        {
            return Result.UNTOUCHED;
        }
        ethernet.wrap(frame, offset).destinationMac(destinationMac).sourceMac(sourceMac);
        final int payload = length - EthernetFlyweight.HEADER_LENGTH;
        return switch (ethernet.etherType())
        {
            case EthernetFlyweight.ETHER_TYPE_IPV4 -> ipv4(frame, ethernet.payloadOffset(), payload);
            case EthernetFlyweight.ETHER_TYPE_ARP -> arp(frame, ethernet.payloadOffset(), payload);
            default -> Result.MACS_ONLY;
        };
    }

    private Result arp(final MemorySegment frame, final long offset, final int available)
    {
        if (available < ArpFlyweight.LENGTH || !arp.wrap(frame, offset).isEthernetIpv4())
        {
            return Result.MACS_ONLY;
        }
        arp.senderMac(sourceMac);
        if (arp.senderIp() != 0)
        {
            arp.senderIp(sourceIp);
        }
        return Result.ARP;
    }

    private Result ipv4(final MemorySegment frame, final long offset, final int available)
    {
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return Result.MACS_ONLY;
        }
        ipv4.wrap(frame, offset);
        final int headerLength = ipv4.headerLength();
        if (ipv4.version() != 4 || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH || headerLength > available)
        {
            return Result.MACS_ONLY;
        }
        final int oldSource = ipv4.sourceIp();
        final int destination = ipv4.destinationIp();
        ipv4.sourceIp(sourceIp).updateChecksum();
        if (ipv4.fragmentOffsetBytes() != 0)
        {
            return Result.IPV4;
        }
        final int l4Length = ipv4.totalLength() - headerLength;
        final int l4Available = available - headerLength;
        final boolean whole = !ipv4.moreFragments() && l4Length >= 0 && l4Length <= l4Available;
        final long l4Offset = offset + headerLength;
        final int protocol = ipv4.protocol();
        if (protocol == IpProtocol.TCP.number())
        {
            if (whole && l4Length >= TcpFlyweight.MIN_HEADER_LENGTH)
            {
                tcp.wrap(frame, l4Offset).updateChecksum(sourceIp, destination, l4Length);
            }
            else if (l4Available >= TcpFlyweight.CHECKSUM_OFFSET + 2)
            {
                patch(frame, l4Offset + TcpFlyweight.CHECKSUM_OFFSET, oldSource, false);
            }
        }
        else if (protocol == IpProtocol.UDP.number() && l4Available >= UdpFlyweight.HEADER_LENGTH)
        {
            udp.wrap(frame, l4Offset);
            if (udp.checksum() == 0)
            {
                return Result.IPV4;
            }
            if (whole && udp.length() >= UdpFlyweight.HEADER_LENGTH && udp.length() <= l4Length)
            {
                udp.updateChecksum(sourceIp, destination);
            }
            else
            {
                patch(frame, l4Offset + UdpFlyweight.CHECKSUM_OFFSET, oldSource, true);
            }
        }
        return Result.IPV4;
    }

    /** RFC 1624: the checksum at {@code at} after the source address's two words changed from {@code oldSource}. */
    private void patch(final MemorySegment frame, final long at, final int oldSource, final boolean udpZeroIsNone)
    {
        int checksum = PacketBytes.getU16(frame, at);
        checksum = Checksums.update(checksum, oldSource >>> 16, sourceIp >>> 16);
        checksum = Checksums.update(checksum, oldSource & 0xFFFF, sourceIp & 0xFFFF);
        PacketBytes.putU16(frame, at, udpZeroIsNone && checksum == 0 ? 0xFFFF : checksum);
    }
}
