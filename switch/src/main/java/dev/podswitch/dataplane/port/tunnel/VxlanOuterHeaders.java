package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;

import java.lang.foreign.MemorySegment;

/**
 * The outer headers of a VXLAN packet (RFC 7348) in front of an inner frame: Ethernet with MACs
 * derived from the VTEP addresses (they mean nothing on a UDP underlay, and read well in a
 * capture), IPv4, UDP to 4789 with a zero checksum (§5: SHOULD over IPv4), VXLAN with the I flag.
 * What the tunnel puts on the wire, and what a capture puts back around a decapsulated frame.
 * Holds flyweights only: one instance per thread, no allocation per packet.
 */
public final class VxlanOuterHeaders
{
    /** Ethernet, IPv4, UDP and VXLAN headers: where the inner frame starts. */
    public static final int LENGTH = TunnelPort.OUTER_UDP_PAYLOAD_OFFSET + VxlanFlyweight.HEADER_LENGTH;
    private static final int MAX_UDP_PAYLOAD = 0xFFFF - Ipv4Flyweight.MIN_HEADER_LENGTH - UdpFlyweight.HEADER_LENGTH;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final VxlanFlyweight vxlan = new VxlanFlyweight();

    /**
     * Writes the {@link #LENGTH} bytes of outer headers at {@code offset} for an inner frame of
     * {@code innerLength} bytes. The outer lengths are capped at what IPv4 can say (65,535): only a
     * capture of a merged super-frame gets near it.
     */
    public void write(final MemorySegment target, final long offset, final int sourceVtepIp,
        final int destinationVtepIp, final int sourcePort, final int vni, final int innerLength,
        final int identification)
    {
        final int udpPayloadLength = Math.min(VxlanFlyweight.HEADER_LENGTH + innerLength, MAX_UDP_PAYLOAD);
        ethernet.wrap(target, offset)
            .destinationMac(vtepMac(destinationVtepIp))
            .sourceMac(vtepMac(sourceVtepIp))
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(target, offset + EthernetFlyweight.HEADER_LENGTH)
            .init(IpProtocol.UDP.number(), sourceVtepIp, destinationVtepIp, UdpFlyweight.HEADER_LENGTH + udpPayloadLength,
                identification & 0xFFFF);
        udp.wrap(target, offset + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH)
            .init(sourcePort, VxlanFlyweight.UDP_PORT, udpPayloadLength);
        vxlan.wrap(target, offset + TunnelPort.OUTER_UDP_PAYLOAD_OFFSET).init(vni);
    }

    /** Outer MACs derived from the VTEP IP (locally administered {@code 0e:} + the address). */
    public static long vtepMac(final int vtepIp)
    {
        return 0x0E00_0000_0000L | (vtepIp & 0xFFFF_FFFFL);
    }
}
