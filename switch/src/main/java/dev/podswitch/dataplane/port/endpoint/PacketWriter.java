package dev.podswitch.dataplane.port.endpoint;

import dev.podswitch.dataplane.packet.ArpFlyweight;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IcmpFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.SctpFlyweight;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Builds the frames a virtual endpoint sends, with correct checksums, into one scratch buffer
 * that each call overwrites. Every method returns the frame length.
 */
final class PacketWriter
{
    static final int L3_OFFSET = EthernetFlyweight.HEADER_LENGTH;
    static final int L4_OFFSET = L3_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH;
    private static final int ICMP_ERROR_QUOTE = 8;

    private final MemorySegment scratch;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();
    private final SctpFlyweight sctp = new SctpFlyweight();
    private int identification;

    PacketWriter(final int capacity)
    {
        scratch = Arena.ofAuto().allocate(capacity, 64);
    }

    MemorySegment scratch()
    {
        return scratch;
    }

    int arpRequest(final long sourceMac, final int sourceIp, final int targetIp)
    {
        ethernet.wrap(scratch, 0).destinationMac(PacketBytes.BROADCAST_MAC).sourceMac(sourceMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        arp.wrap(scratch, L3_OFFSET).initEthernetIpv4(ArpFlyweight.OPERATION_REQUEST)
            .senderMac(sourceMac).senderIp(sourceIp).targetMac(0).targetIp(targetIp);
        return L3_OFFSET + ArpFlyweight.LENGTH;
    }

    private void ipHeader(final Addresses to, final IpProtocol protocol, final int l4Length)
    {
        ethernet.wrap(scratch, 0).destinationMac(to.destinationMac()).sourceMac(to.sourceMac())
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(scratch, L3_OFFSET).init(protocol.number(), to.sourceIp(), to.destinationIp(), l4Length,
            identification++ & 0xFFFF);
    }

    int tcp(final Addresses to, final int sourcePort, final int destinationPort, final int sequence,
        final int acknowledgment, final int flags)
    {
        ipHeader(to, IpProtocol.TCP, TcpFlyweight.MIN_HEADER_LENGTH);
        tcp.wrap(scratch, L4_OFFSET).init(sourcePort, destinationPort, sequence, acknowledgment, flags)
            .updateChecksum(to.sourceIp(), to.destinationIp(), TcpFlyweight.MIN_HEADER_LENGTH);
        return L4_OFFSET + TcpFlyweight.MIN_HEADER_LENGTH;
    }

    /** A UDP datagram whose payload is copied from {@code payload} (may be empty). */
    int udp(final Addresses to, final int sourcePort, final int destinationPort, final MemorySegment payload,
        final long payloadOffset, final int payloadLength)
    {
        ipHeader(to, IpProtocol.UDP, UdpFlyweight.HEADER_LENGTH + payloadLength);
        MemorySegment.copy(payload, payloadOffset, scratch, L4_OFFSET + UdpFlyweight.HEADER_LENGTH, payloadLength);
        udp.wrap(scratch, L4_OFFSET).init(sourcePort, destinationPort, payloadLength)
            .updateChecksum(to.sourceIp(), to.destinationIp());
        return L4_OFFSET + UdpFlyweight.HEADER_LENGTH + payloadLength;
    }

    /** An echo request or reply whose data is copied from {@code data} (may be empty). */
    int icmpEcho(final Addresses to, final int type, final int identifier, final int sequence, final MemorySegment data,
        final long dataOffset, final int dataLength)
    {
        final int icmpLength = IcmpFlyweight.HEADER_LENGTH + dataLength;
        ipHeader(to, IpProtocol.ICMP, icmpLength);
        MemorySegment.copy(data, dataOffset, scratch, L4_OFFSET + IcmpFlyweight.HEADER_LENGTH, dataLength);
        icmp.wrap(scratch, L4_OFFSET).type(type).code(0).identifier(identifier).sequence(sequence)
            .updateChecksum(icmpLength);
        return L4_OFFSET + icmpLength;
    }

    /** Destination unreachable, quoting the offending IP header and the first 8 bytes after it (RFC 792). */
    int icmpUnreachable(final Addresses to, final int code, final MemorySegment original, final long originalIpOffset,
        final int originalIpHeaderLength, final int originalIpTotalLength)
    {
        final int quoted = Math.min(originalIpTotalLength, originalIpHeaderLength + ICMP_ERROR_QUOTE);
        final int icmpLength = IcmpFlyweight.HEADER_LENGTH + quoted;
        ipHeader(to, IpProtocol.ICMP, icmpLength);
        MemorySegment.copy(original, originalIpOffset, scratch, L4_OFFSET + IcmpFlyweight.HEADER_LENGTH, quoted);
        icmp.wrap(scratch, L4_OFFSET).type(IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE).code(code)
            .identifier(0).sequence(0).updateChecksum(icmpLength);
        return L4_OFFSET + icmpLength;
    }

    /** INIT (verification tag 0) or INIT ACK (tag = the peer's initiate tag, with a state cookie). */
    int sctpInit(final Addresses to, final int sourcePort, final int destinationPort, final int verificationTag,
        final int chunkType, final int initiateTag)
    {
        sctp.wrap(scratch, L4_OFFSET).initCommonHeader(sourcePort, destinationPort, verificationTag);
        final int sctpLength = sctp.putInitChunk(chunkType, initiateTag,
            chunkType == SctpFlyweight.CHUNK_INIT_ACK ? 8 : 0);
        return finishSctp(to, sctpLength);
    }

    int sctpAbort(final Addresses to, final int sourcePort, final int destinationPort, final int verificationTag)
    {
        sctp.wrap(scratch, L4_OFFSET).initCommonHeader(sourcePort, destinationPort, verificationTag);
        return finishSctp(to, sctp.putAbortChunk(false));
    }

    private int finishSctp(final Addresses to, final int sctpLength)
    {
        sctp.updateChecksum(sctpLength);
        ipHeader(to, IpProtocol.SCTP, sctpLength);
        return L4_OFFSET + sctpLength;
    }

    /**
     * Who a frame goes from and to, at L2 and L3. Mutable and reused by its endpoint for every frame
     * it sends, so sending allocates nothing.
     */
    static final class Addresses
    {
        private long sourceMac;
        private int sourceIp;
        private long destinationMac;
        private int destinationIp;

        Addresses set(final long sourceMac, final int sourceIp, final long destinationMac, final int destinationIp)
        {
            this.sourceMac = sourceMac;
            this.sourceIp = sourceIp;
            this.destinationMac = destinationMac;
            this.destinationIp = destinationIp;
            return this;
        }

        long sourceMac()
        {
            return sourceMac;
        }

        int sourceIp()
        {
            return sourceIp;
        }

        long destinationMac()
        {
            return destinationMac;
        }

        int destinationIp()
        {
            return destinationIp;
        }
    }
}
