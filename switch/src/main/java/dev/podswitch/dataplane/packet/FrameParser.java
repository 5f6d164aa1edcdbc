package dev.podswitch.dataplane.packet;

import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.MemorySegment;

/**
 * Parses and validates L2–L4 of one Ethernet frame into a {@link PacketMeta}. A malformed frame
 * yields a {@link DropReason} and never an exception: every length is checked against the frame
 * before it is read. L4 checksums are not verified, because frames from TAP devices with
 * offloads carry partial ones (the kernel finishes them); the IPv4 header checksum is, because
 * every sender completes it.
 *
 * <p>An IPv4 fragment is reported as {@link DropReason#IP_FRAGMENT} with its L3 fields read
 * (addresses, protocol, identification, where its payload lies) and no L4: a caller that does not
 * reassemble drops it, and one that does ({@code NodePipeline}) holds it and later reads the
 * datagram's L4 header from its first fragment with {@link #parseFirstFragment}.
 *
 * <p>One parser per pipeline thread (it holds flyweights), no allocation per frame.
 */
public final class FrameParser
{
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();
    private final SctpFlyweight sctp = new SctpFlyweight();
    /** The ports (or an ICMP query's type, code and checksum) lead the quoted payload. */
    private static final int QUOTED_PORTS_LENGTH = 4;

    private final Ipv4Flyweight quotedIpv4 = new Ipv4Flyweight();
    private final IcmpFlyweight quotedIcmp = new IcmpFlyweight();

    /**
     * @return {@code null} when the frame is well formed, else why it must be dropped.
     */
    public DropReason parse(final MemorySegment segment, final long offset, final int length, final PacketMeta meta)
    {
        meta.clear();
        if (length < EthernetFlyweight.HEADER_LENGTH)
        {
            return DropReason.TRUNCATED_ETHERNET;
        }
        ethernet.wrap(segment, offset);
        meta.destinationMac = ethernet.destinationMac();
        meta.sourceMac = ethernet.sourceMac();
        meta.etherType = ethernet.etherType();
        meta.l3Offset = offset + EthernetFlyweight.HEADER_LENGTH;
        final int l3Length = length - EthernetFlyweight.HEADER_LENGTH;
        return switch (meta.etherType)
        {
            case EthernetFlyweight.ETHER_TYPE_ARP -> parseArp(segment, l3Length, meta);
            case EthernetFlyweight.ETHER_TYPE_IPV4 -> parseIpv4(segment, l3Length, meta);
            default -> DropReason.UNKNOWN_ETHERTYPE;
        };
    }

    private DropReason parseArp(final MemorySegment segment, final int l3Length, final PacketMeta meta)
    {
        if (l3Length < ArpFlyweight.LENGTH)
        {
            return DropReason.MALFORMED_ARP;
        }
        arp.wrap(segment, meta.l3Offset);
        if (!arp.isEthernetIpv4())
        {
            return DropReason.MALFORMED_ARP;
        }
        meta.arpOperation = arp.operation();
        if (meta.arpOperation != ArpFlyweight.OPERATION_REQUEST && meta.arpOperation != ArpFlyweight.OPERATION_REPLY)
        {
            return DropReason.MALFORMED_ARP;
        }
        meta.arpSenderMac = arp.senderMac();
        meta.arpSenderIp = arp.senderIp();
        meta.arpTargetIp = arp.targetIp();
        return null;
    }

    private DropReason parseIpv4(final MemorySegment segment, final int l3Length, final PacketMeta meta)
    {
        if (l3Length < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return DropReason.TRUNCATED_IPV4;
        }
        ipv4.wrap(segment, meta.l3Offset);
        if (ipv4.version() != 4)
        {
            return DropReason.BAD_IP_VERSION;
        }
        final int headerLength = ipv4.headerLength();
        if (headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH || headerLength > l3Length)
        {
            return DropReason.BAD_IHL;
        }
        final int totalLength = ipv4.totalLength();
        // Ethernet pads short frames to 60 bytes, so the frame may be longer than the packet.
        if (totalLength < headerLength || totalLength > l3Length)
        {
            return DropReason.BAD_IP_LENGTH;
        }
        if (!ipv4.isChecksumValid())
        {
            return DropReason.BAD_IP_CHECKSUM;
        }
        meta.ipSource = ipv4.sourceIp();
        meta.ipDestination = ipv4.destinationIp();
        meta.ipProtocol = ipv4.protocol();
        meta.ipTtl = ipv4.ttl();
        meta.ipTotalLength = totalLength;
        meta.ipIdentification = ipv4.identification();
        meta.l4Offset = meta.l3Offset + headerLength;
        meta.l4Length = totalLength - headerLength;
        if (ipv4.isFragment())
        {
            // No L4 here: a later fragment has none, and a first one holds only part of the datagram.
            meta.fragmentOffset = ipv4.fragmentOffsetBytes();
            meta.moreFragments = ipv4.moreFragments();
            return DropReason.IP_FRAGMENT;
        }
        return parseL4(segment, meta, meta.l4Length);
    }

    /**
     * Reads a reassembled datagram's headers from its first fragment: L2 and L3 as {@link #parse}
     * does, then the L4 header, which must lie whole inside this fragment (a first fragment too
     * short for it is refused, as RFC 1858 advises against tiny-fragment attacks). Lengths inside
     * L4 (the UDP length) are checked against {@code datagramL4Length}, the payload of all the
     * fragments; {@link PacketMeta#l4Length} stays what this fragment holds, so nothing reads past it.
     *
     * @return null when the datagram's headers are well formed, else why it must be dropped.
     */
    public DropReason parseFirstFragment(final MemorySegment segment, final long offset, final int length,
        final int datagramL4Length, final PacketMeta meta)
    {
        final DropReason reason = parse(segment, offset, length, meta);
        if (reason != DropReason.IP_FRAGMENT || meta.fragmentOffset != 0)
        {
            // Not a fragment (parsed whole, or malformed), or a later one, which has no L4 header.
            return reason;
        }
        return parseL4(segment, meta, datagramL4Length);
    }

    /** @param datagramL4Length what the L4 length fields may cover: the packet's payload, or a reassembled datagram's. */
    private DropReason parseL4(final MemorySegment segment, final PacketMeta meta, final int datagramL4Length)
    {
        final int l4Length = meta.l4Length;
        switch (meta.ipProtocol)
        {
            case 6 ->
            {
                if (l4Length < TcpFlyweight.MIN_HEADER_LENGTH)
                {
                    return DropReason.TRUNCATED_L4;
                }
                tcp.wrap(segment, meta.l4Offset);
                final int headerLength = tcp.headerLength();
                if (headerLength < TcpFlyweight.MIN_HEADER_LENGTH || headerLength > l4Length)
                {
                    return DropReason.BAD_TCP_HEADER;
                }
                meta.sourcePort = tcp.sourcePort();
                meta.destinationPort = tcp.destinationPort();
                meta.tcpFlags = tcp.flags();
            }
            case 17 ->
            {
                if (l4Length < UdpFlyweight.HEADER_LENGTH)
                {
                    return DropReason.TRUNCATED_L4;
                }
                udp.wrap(segment, meta.l4Offset);
                final int udpLength = udp.length();
                if (udpLength < UdpFlyweight.HEADER_LENGTH || udpLength > datagramL4Length)
                {
                    return DropReason.BAD_UDP_LENGTH;
                }
                meta.sourcePort = udp.sourcePort();
                meta.destinationPort = udp.destinationPort();
            }
            case 1 ->
            {
                if (l4Length < IcmpFlyweight.HEADER_LENGTH)
                {
                    return DropReason.TRUNCATED_L4;
                }
                icmp.wrap(segment, meta.l4Offset);
                meta.icmpType = icmp.type();
                meta.icmpCode = icmp.code();
                meta.icmpIdentifier = icmp.identifier();
                if (icmp.isError())
                {
                    parseIcmpQuote(segment, meta);
                }
            }
            case 132 ->
            {
                if (l4Length < SctpFlyweight.MIN_LENGTH)
                {
                    return DropReason.TRUNCATED_L4;
                }
                sctp.wrap(segment, meta.l4Offset);
                meta.sourcePort = sctp.sourcePort();
                meta.destinationPort = sctp.destinationPort();
                meta.sctpChunkType = sctp.chunkType();
            }
            default ->
            {
                // Other protocols (GRE, ESP, ...) are forwarded opaquely; policy sees them without ports.
            }
        }
        return null;
    }

    /**
     * Reads the flow an ICMP error speaks of from the IPv4 header it quotes (RFC 792: the header
     * and at least 8 bytes of its payload). Every read is checked against the outer ICMP length,
     * which the caller has already checked against the frame. The quote is evidence, not a packet
     * this node must forward intact, so its header checksum is not verified (Linux does not either);
     * a quote that cannot name a flow leaves {@link PacketMeta#icmpErrorHasQuote} false.
     */
    private void parseIcmpQuote(final MemorySegment segment, final PacketMeta meta)
    {
        final int quoteLength = meta.l4Length - IcmpFlyweight.HEADER_LENGTH;
        if (quoteLength < Ipv4Flyweight.MIN_HEADER_LENGTH + QUOTED_PORTS_LENGTH)
        {
            return;
        }
        quotedIpv4.wrap(segment, icmp.payloadOffset());
        final int headerLength = quotedIpv4.headerLength();
        if (quotedIpv4.version() != 4 || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH
            || headerLength + QUOTED_PORTS_LENGTH > quoteLength
            // A non-first fragment carries no L4 header, so its quote names no ports.
            || (PacketBytes.getU16(segment, icmp.payloadOffset() + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET)
                & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) != 0)
        {
            return;
        }
        final int protocol = quotedIpv4.protocol();
        final long l4Offset = quotedIpv4.payloadOffset();
        if (IpProtocol.hasPorts(protocol))
        {
            // Source and destination port lead the header of every protocol that has them.
            meta.quotedSourcePort = PacketBytes.getU16(segment, l4Offset);
            meta.quotedDestinationPort = PacketBytes.getU16(segment, l4Offset + 2);
        }
        else if (protocol == IpProtocol.ICMP.number())
        {
            if (headerLength + IcmpFlyweight.HEADER_LENGTH > quoteLength)
            {
                return;
            }
            quotedIcmp.wrap(segment, l4Offset);
            if (quotedIcmp.isError())
            {
                // Errors about errors are never sent (RFC 1122 3.2.2); such a quote names no flow.
                return;
            }
            meta.quotedIcmpType = quotedIcmp.type();
            meta.quotedSourcePort = quotedIcmp.identifier();
            meta.quotedDestinationPort = meta.quotedSourcePort;
        }
        // Other protocols are tracked without ports.
        meta.quotedSource = quotedIpv4.sourceIp();
        meta.quotedDestination = quotedIpv4.destinationIp();
        meta.quotedProtocol = protocol;
        meta.icmpErrorHasQuote = true;
    }

}
