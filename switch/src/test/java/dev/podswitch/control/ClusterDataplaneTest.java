package dev.podswitch.control;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterDataplaneTest
{
    private static final ServedPorts WEB = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 80),
        ServedPorts.key(IpProtocol.UDP, 53), ServedPorts.key(IpProtocol.SCTP, 9000));

    @ParameterizedTest
    @EnumSource(ClusterOptions.Underlay.class)
    void shouldConnectEveryProbeKindBothWaysOnOneNodeAndAcrossNodesWithoutNat(final ClusterOptions.Underlay underlay)
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(
            ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"), underlay)))
        {
            final Attachment a = cluster.addPod("default/a", "node-1", 0, WEB);
            final Attachment b = cluster.addPod("default/b", "node-1", 0, WEB);
            final Attachment c = cluster.addPod("default/c", "node-2", 0, WEB);
            assertEquals("10.244.0.2", Ipv4.format(a.ip()));
            assertEquals("10.244.1.2", Ipv4.format(c.ip()));
            assertTrue(a.endpoint().isGatewayResolved());

            for (final Attachment[] pair : new Attachment[][] {{a, b}, {b, a}, {a, c}, {c, a}})
            {
                for (final Object[] kind : new Object[][] {
                    {IpProtocol.TCP, 80, Probe.Answer.OPEN}, {IpProtocol.TCP, 81, Probe.Answer.REFUSED},
                    {IpProtocol.UDP, 53, Probe.Answer.OPEN}, {IpProtocol.UDP, 54, Probe.Answer.REFUSED},
                    {IpProtocol.SCTP, 9000, Probe.Answer.OPEN}, {IpProtocol.SCTP, 9001, Probe.Answer.REFUSED},
                    {IpProtocol.ICMP, 0, Probe.Answer.OPEN}})
                {
                    final Probe probe = new Probe((IpProtocol)kind[0], pair[0].name(), pair[0].ip(), pair[1].name(),
                        pair[1].ip(), (Integer)kind[1]);
                    assertTrue(pair[0].endpoint().start(probe));
                    assertTrue(cluster.runUntilIdle());
                    assertEquals(kind[2], probe.answer(), probe.toString());
                    assertTrue(probe.arrived(), probe.toString());
                    assertEquals(pair[0].ip(), probe.sourceIpSeenAtDestination(), "no NAT: " + probe);
                    assertTrue(probe.connected());
                    cluster.probes().release(probe);
                }
            }
            for (final ClusterNode node : cluster.nodes().values())
            {
                assertTrue(node.datapath().counters().isBalanced(), node.name() + " " + node.datapath().counters().drops());
                assertTrue(node.datapath().counters().drops().isEmpty(), node.datapath().counters().drops().toString());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ClusterOptions.Underlay.class)
    void shouldReachExternalHostsWithoutNatFromEveryNode(final ClusterOptions.Underlay underlay)
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(
            ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"), underlay)))
        {
            final Attachment host = cluster.addHost("admin", "node-1", Ipv4.parse("192.168.5.10"), WEB);
            final Attachment remote = cluster.addPod("default/r", "node-2", 0, WEB);
            for (final Attachment[] pair : new Attachment[][] {{host, remote}, {remote, host}})
            {
                final Probe probe = new Probe(IpProtocol.TCP, pair[0].name(), pair[0].ip(), pair[1].name(), pair[1].ip(), 80);
                assertTrue(pair[0].endpoint().start(probe));
                assertTrue(cluster.runUntilIdle());
                assertTrue(probe.connected(), probe.toString());
                cluster.probes().release(probe);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ClusterOptions.Underlay.class)
    void shouldDropWithNoRouteWhenNobodyOwnsTheDestination(final ClusterOptions.Underlay underlay)
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(
            ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"), underlay)))
        {
            final Attachment a = cluster.addPod("default/a", "node-1", 0, WEB);
            final Probe probe = new Probe(IpProtocol.TCP, a.name(), a.ip(), "nobody", Ipv4.parse("10.244.1.77"), 80);
            assertTrue(a.endpoint().start(probe));
            assertTrue(cluster.runUntilIdle());
            assertFalse(probe.connected());
            assertEquals(Probe.Answer.NONE, probe.answer());
            assertEquals(1, cluster.node("node-2").datapath().counters()
                .droppedCount(dev.podswitch.dataplane.stats.DropReason.NO_ROUTE));
        }
    }
}
