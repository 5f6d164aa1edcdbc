package dev.podswitch.bench.packet;

import dev.podswitch.dataplane.packet.ArpFlyweight;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IcmpFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;

import java.lang.foreign.MemorySegment;

/**
 * Writes well-formed frames of an exact length (Ethernet header included, no FCS) through the
 * switch's own flyweights, for benchmark traffic built at setup. The IPv4 header checksum is
 * correct (the parser checks it); L4 checksums are left as the flyweights' {@code init} leaves
 * them (zero for UDP, which IPv4 allows; the parser does not verify TCP's). Payload bytes are not
 * written: whatever the memory holds is the payload.
 */
public final class FrameWriter
{
    public static final int L4_OFFSET = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH;
    /** Where a UDP frame's payload starts: a benchmark may stamp a timestamp there. */
    public static final int UDP_PAYLOAD_OFFSET = L4_OFFSET + UdpFlyweight.HEADER_LENGTH;
    public static final int ARP_FRAME_LENGTH = 60;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    public void udp(final MemorySegment segment, final long offset, final int frameLength, final long sourceMac,
        final long destinationMac, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort)
    {
        ipv4(segment, offset, frameLength, sourceMac, destinationMac, IpProtocol.UDP, sourceIp, destinationIp);
        udp.wrap(segment, offset + L4_OFFSET).init(sourcePort, destinationPort, frameLength - UDP_PAYLOAD_OFFSET);
    }

    public void tcp(final MemorySegment segment, final long offset, final int frameLength, final long sourceMac,
        final long destinationMac, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort, final int flags)
    {
        ipv4(segment, offset, frameLength, sourceMac, destinationMac, IpProtocol.TCP, sourceIp, destinationIp);
        tcp.wrap(segment, offset + L4_OFFSET).init(sourcePort, destinationPort, 1, 1, flags);
    }

    public void icmpEcho(final MemorySegment segment, final long offset, final int frameLength, final long sourceMac,
        final long destinationMac, final int sourceIp, final int destinationIp, final int identifier)
    {
        ipv4(segment, offset, frameLength, sourceMac, destinationMac, IpProtocol.ICMP, sourceIp, destinationIp);
        icmp.wrap(segment, offset + L4_OFFSET).type(IcmpFlyweight.TYPE_ECHO_REQUEST).code(0).identifier(identifier)
            .sequence(1).updateChecksum(frameLength - L4_OFFSET);
    }

    /** An ARP request padded to the 60-byte Ethernet minimum ({@link #ARP_FRAME_LENGTH}). */
    public void arpRequest(final MemorySegment segment, final long offset, final long senderMac, final int senderIp,
        final int targetIp)
    {
        ethernet.wrap(segment, offset).destinationMac(0xFFFF_FFFF_FFFFL).sourceMac(senderMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        arp.wrap(segment, offset + EthernetFlyweight.HEADER_LENGTH).initEthernetIpv4(ArpFlyweight.OPERATION_REQUEST).senderMac(senderMac)
            .senderIp(senderIp).targetMac(0).targetIp(targetIp);
    }

    private void ipv4(final MemorySegment segment, final long offset, final int frameLength, final long sourceMac,
        final long destinationMac, final IpProtocol protocol, final int sourceIp, final int destinationIp)
    {
        if (frameLength < 60)
        {
            throw new IllegalArgumentException("frameLength=" + frameLength + " < 60, the Ethernet minimum");
        }
        ethernet.wrap(segment, offset).destinationMac(destinationMac).sourceMac(sourceMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(segment, offset + EthernetFlyweight.HEADER_LENGTH).init(protocol.number(), sourceIp, destinationIp,
            frameLength - L4_OFFSET, 0);
    }
}
