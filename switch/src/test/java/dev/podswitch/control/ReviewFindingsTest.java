package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defects a review found, each pinned by a test through the real pipeline. */
class ReviewFindingsTest
{
    private static final ServedPorts DNS = ServedPorts.of(ServedPorts.key(IpProtocol.UDP, 53));

    private static ClusterDataplane twoNodes()
    {
        return ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY));
    }

    @Test
    void shouldForgetADeletedPodsConnectionsSoItsAddressInheritsNothing()
    {
        try (ClusterDataplane cluster = twoNodes())
        {
            final Attachment a = cluster.addPod("default/a", "node-1", 0, DNS);
            final Attachment c = cluster.addPod("default/c", "node-1", 0, DNS);
            final Probe probe = new Probe(IpProtocol.UDP, a.name(), a.ip(), c.name(), c.ip(), 53);
            assertTrue(a.endpoint().start(probe));
            assertTrue(cluster.runUntilIdle());
            assertTrue(probe.connected());
            final NodeDatapath node1 = cluster.node("node-1").datapath();
            assertEquals(1, node1.connections().size(), "a -> c is tracked");

            cluster.detach(c.name());
            cluster.runUntilIdle();
            assertEquals(0, node1.connections().size(), "c's connections go with c");
        }
    }

    @Test
    void shouldForgetADetachedPodsConnectionsEvenWhenTheNodesCommandQueueIsFull()
    {
        try (ClusterDataplane cluster = twoNodes())
        {
            final Attachment a = cluster.addPod("default/a", "node-1", 0, DNS);
            // c's port is the caller's, as a live pod's TAP is: it swallows what it is sent.
            final Attachment c = cluster.addLivePod("default/c", "node-1",
                (node, portId, ip, mac) -> new dev.podswitch.dataplane.port.MemoryPort(portId, "c", (frame, offset, length) -> { }));
            final Probe probe = new Probe(IpProtocol.UDP, a.name(), a.ip(), c.name(), c.ip(), 53);
            assertTrue(a.endpoint().start(probe));
            assertTrue(cluster.runUntilIdle());
            final NodeDatapath node1 = cluster.node("node-1").datapath();
            assertEquals(1, node1.connections().size(), "a -> c is tracked");
            int queued = 0;
            while (node1.forgetConnectionsOf(0x0A0A0A0A))
            {
                queued++;
            }
            assertTrue(queued > 0, "the queue is full now");

            // The one way out waits for room instead of dropping the command (a live pod's removal once did).
            cluster.detach(c.name());
            cluster.runUntilIdle();
            assertEquals(0, node1.connections().size(), "c's connections went with c all the same");
        }
    }

    @Test
    void shouldDropATunnelFrameWhoseInnerSourceDoesNotLiveBehindTheSendingVtep()
    {
        try (ClusterDataplane cluster = twoNodes())
        {
            final Attachment local = cluster.addPod("default/b", "node-2", 0, DNS);
            final Attachment remote = cluster.addPod("default/a", "node-1", 0, DNS);
            final NodeDatapath node2 = cluster.node("node-2").datapath();
            final int node1Vtep = cluster.node("node-1").vtepIp();

            // Claims to come from node-2's own pod b, sent by node-1's VTEP: a forgery.
            node2.tunnel().onVxlanPayload(node1Vtep, vxlan(local.ip(), remote.ip(), cluster.node("node-2").gatewayMac()),
                0, PAYLOAD_LENGTH);
            // From a, who does live behind node-1: delivered.
            node2.tunnel().onVxlanPayload(node1Vtep, vxlan(remote.ip(), local.ip(), cluster.node("node-2").gatewayMac()),
                0, PAYLOAD_LENGTH);
            cluster.runUntilIdle();

            assertEquals(1, node2.counters().droppedCount(DropReason.SPOOFED_SOURCE));
            assertEquals(1, node2.counters().droppedTotal(), "only the forgery was dropped");
            assertTrue(node2.counters().forwardedCount() >= 1, "the genuine frame went to b");
        }
    }

    private static final int INNER_LENGTH = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
        + UdpFlyweight.HEADER_LENGTH + 4;
    private static final int PAYLOAD_LENGTH = VxlanFlyweight.HEADER_LENGTH + INNER_LENGTH;

    /** A VXLAN payload (header and inner frame) carrying a UDP datagram to port 53. */
    private static MemorySegment vxlan(final int sourceIp, final int destinationIp, final long destinationMac)
    {
        final MemorySegment payload = Arena.ofAuto().allocate(PAYLOAD_LENGTH);
        new VxlanFlyweight().wrap(payload, 0).init(ClusterOptions.DEFAULT_VNI);
        final long inner = VxlanFlyweight.HEADER_LENGTH;
        new EthernetFlyweight().wrap(payload, inner).destinationMac(destinationMac).sourceMac(0x0E00_0000_0001L)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(payload, inner + EthernetFlyweight.HEADER_LENGTH)
            .init(IpProtocol.UDP.number(), sourceIp, destinationIp, UdpFlyweight.HEADER_LENGTH + 4, 1);
        new UdpFlyweight().wrap(payload, inner + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH)
            .init(40000, 53, 4).updateChecksum(sourceIp, destinationIp);
        return payload;
    }
}
