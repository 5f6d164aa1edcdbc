package dev.podswitch.control;

import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The threading model is configuration: the same cluster, driven the same way from the test's
 * thread, gives the same verdicts with its nodes on that thread or spread over agent threads.
 */
class ClusterDataplaneThreadingTest
{
    private static final ServedPorts WEB = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 80),
        ServedPorts.key(IpProtocol.UDP, 53), ServedPorts.key(IpProtocol.SCTP, 9000));
    private static final int NODES = 6;
    private static final int PODS_PER_NODE = 4;

    static Stream<Arguments> threadings()
    {
        return Stream.of(ClusterOptions.Underlay.values()).flatMap(underlay -> Stream.of(
            Arguments.of(underlay, 0, IdleMode.BLOCKING),
            Arguments.of(underlay, 2, IdleMode.BLOCKING),
            Arguments.of(underlay, 2, IdleMode.YIELD),
            Arguments.of(underlay, NODES, IdleMode.BLOCKING)));
    }

    private static ClusterOptions options(final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle)
    {
        final List<String> nodes = new ArrayList<>();
        for (int n = 0; n < NODES; n++)
        {
            nodes.add("node-" + n);
        }
        return ClusterOptions.of("10.244.0.0/16", 24, nodes, underlay).withThreading(threads, idle);
    }

    @ParameterizedTest(name = "{0}, {1} threads, {2}")
    @MethodSource("threadings")
    void shouldConnectEveryPairWithEveryProtocolWhenNodesRunOnAgentThreads(final ClusterOptions.Underlay underlay,
        final int threads, final IdleMode idle)
    {
        final Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (ClusterDataplane cluster = ClusterDataplane.create(options(underlay, threads, idle)))
        {
            assertEquals(Math.min(threads, NODES), cluster.agentThreads());
            final List<Attachment> pods = new ArrayList<>();
            for (int p = 0; p < NODES * PODS_PER_NODE; p++)
            {
                pods.add(cluster.addPod("default/p" + p, "node-" + p % NODES, 0, WEB));
            }
            for (final Attachment pod : pods)
            {
                assertTrue(pod.endpoint().isGatewayResolved(), pod.name());
            }
            final IpProtocol[] protocols = {IpProtocol.TCP, IpProtocol.UDP, IpProtocol.SCTP, IpProtocol.ICMP};
            final int[] ports = {80, 53, 9000, 0};
            final List<Probe> round = new ArrayList<>();
            int probed = 0;
            for (final Attachment from : pods)
            {
                for (final Attachment to : pods)
                {
                    if (from == to)
                    {
                        continue;
                    }
                    final int kind = probed++ % protocols.length;
                    // Every other TCP probe goes to a closed port: a refusal must come back too.
                    final int port = kind == 0 && probed % 8 == 1 ? 81 : ports[kind];
                    final Probe probe = new Probe(protocols[kind], from.name(), from.ip(), to.name(), to.ip(), port);
                    assertTrue(from.endpoint().start(probe), probe.toString());
                    round.add(probe);
                    if (round.size() == 256)
                    {
                        finishRound(cluster, round);
                    }
                }
            }
            finishRound(cluster, round);
            for (final ClusterNode node : cluster.nodes().values())
            {
                assertTrue(node.datapath().counters().isBalanced(), node.name());
                assertTrue(node.datapath().counters().drops().isEmpty(), node.datapath().counters().drops().toString());
            }
            assertEquals(0, cluster.agentErrorCount());
            assertEquals(List.of(), cluster.errors().entries());
            assertEquals(0, cluster.probes().inFlight());
        }
        final Set<String> leftOver = Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> !before.contains(thread) && thread.isAlive() && thread.getName().startsWith("podswitch-nodes"))
            .map(Thread::getName).collect(Collectors.toSet());
        assertEquals(Set.of(), leftOver, "agent threads still running after close");
    }

    private static void finishRound(final ClusterDataplane cluster, final List<Probe> round)
    {
        assertTrue(cluster.runUntilIdle());
        for (final Probe probe : round)
        {
            assertTrue(probe.arrived(), probe.toString());
            assertTrue(probe.connected(), probe.toString());
            assertEquals(probe.sourceIp(), probe.sourceIpSeenAtDestination(), "no NAT: " + probe);
            final Probe.Answer expected = probe.destinationPort() == 81 ? Probe.Answer.REFUSED : Probe.Answer.OPEN;
            assertEquals(expected, probe.answer(), probe.toString());
            cluster.probes().release(probe);
        }
        round.clear();
    }

    @ParameterizedTest(name = "{0}, {1} threads, {2}")
    @MethodSource("threadings")
    void shouldStopEveryNodeThreadWhenClosed(final ClusterOptions.Underlay underlay, final int threads,
        final IdleMode idle)
    {
        final ClusterDataplane cluster = ClusterDataplane.create(options(underlay, threads, idle));
        cluster.addPod("default/a", "node-0", 0, WEB);
        final List<Thread> agentThreads = Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().startsWith("podswitch-nodes")).toList();
        cluster.close();
        for (final Thread thread : agentThreads)
        {
            assertFalse(thread.isAlive(), thread.getName());
        }
    }
}
