package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.packet.ArpFlyweight;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IcmpFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.MemorySegment;

/**
 * The node gateway's own answers, written in place into the frame that asked so nothing is
 * copied: ARP for any address but the asker's own (proxy ARP — every pod's traffic is routed
 * through the switch, as Calico and Cilium do, so pods on one subnet never talk L2 directly) and
 * ICMP echo to the gateway IP. One instance per pipeline thread.
 */
public final class GatewayResponder
{
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();

    /** Turns an ARP request into the reply; null when answered, else the drop reason. */
    public DropReason answerArp(final MemorySegment frame, final PacketMeta meta, final ForwardingTable table)
    {
        if (meta.arpOperation != ArpFlyweight.OPERATION_REQUEST || meta.arpTargetIp == meta.arpSenderIp
            || meta.arpSenderIp == 0)
        {
            // Replies, gratuitous ARP and duplicate-address probes need no answer from us.
            return DropReason.NOT_FOR_US;
        }
        final long gatewayMac = table.gatewayMac();
        ethernet.wrap(frame, 0).destinationMac(meta.sourceMac).sourceMac(gatewayMac);
        arp.wrap(frame, meta.l3Offset)
            .initEthernetIpv4(ArpFlyweight.OPERATION_REPLY)
            .targetMac(meta.arpSenderMac)
            .targetIp(meta.arpSenderIp)
            .senderMac(gatewayMac)
            .senderIp(meta.arpTargetIp);
        return null;
    }

    /** Turns an echo request to the gateway into the reply; null when answered, else the drop reason. */
    public DropReason answerPing(final MemorySegment frame, final PacketMeta meta, final ForwardingTable table)
    {
        if (meta.ipProtocol != 1 || meta.icmpType != IcmpFlyweight.TYPE_ECHO_REQUEST)
        {
            return DropReason.NOT_FOR_US;
        }
        ethernet.wrap(frame, 0).destinationMac(meta.sourceMac).sourceMac(table.gatewayMac());
        ipv4.wrap(frame, meta.l3Offset).sourceIp(meta.ipDestination).destinationIp(meta.ipSource).updateChecksum();
        icmp.wrap(frame, meta.l4Offset).type(IcmpFlyweight.TYPE_ECHO_REPLY).updateChecksum(meta.l4Length);
        return null;
    }

    /** Frame length after {@link #answerArp}: the request's, since the reply has the same layout. */
    public static int arpReplyLength(final int requestLength)
    {
        return Math.max(requestLength, EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.LENGTH);
    }
}
