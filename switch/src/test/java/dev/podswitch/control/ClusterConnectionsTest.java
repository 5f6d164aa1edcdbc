package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.conntrack.ConntrackEntry;
import dev.podswitch.dataplane.conntrack.ConntrackSnapshot;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nodes' conntrack tables copied without racing their pipelines: by the driver between
 * {@code runUntilIdle} calls, by the node's own thread through its command queue (emulated and live),
 * and not at all — the request withdrawn, the queue left as it was — when a node's thread is stopped.
 */
class ClusterConnectionsTest
{
    private static final ServedPorts SERVED = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 80),
        ServedPorts.key(IpProtocol.UDP, 53));
    private static final int LIMIT = ClusterConnections.DEFAULT_LIMIT;

    private static ClusterDataplane twoNodes(final int threads)
    {
        return ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY).withThreading(threads, IdleMode.BLOCKING));
    }

    /** a, b on node-1 and c on node-2: TCP a → b:80, UDP a → c:53, ICMP echo c → a. */
    private static Attachment[] probe(final ClusterDataplane cluster)
    {
        final Attachment a = cluster.addPod("default/a", "node-1", 0, SERVED);
        final Attachment b = cluster.addPod("default/b", "node-1", 0, SERVED);
        final Attachment c = cluster.addPod("default/c", "node-2", 0, SERVED);
        for (final Probe probe : List.of(new Probe(IpProtocol.TCP, a.name(), a.ip(), b.name(), b.ip(), 80),
            new Probe(IpProtocol.UDP, a.name(), a.ip(), c.name(), c.ip(), 53),
            new Probe(IpProtocol.ICMP, c.name(), c.ip(), a.name(), a.ip(), 0)))
        {
            final Attachment from = probe.protocol() == IpProtocol.ICMP ? c : a;
            assertTrue(from.endpoint().start(probe));
            assertTrue(cluster.runUntilIdle());
            assertTrue(probe.connected(), probe.toString());
            cluster.probes().release(probe);
        }
        return new Attachment[] {a, b, c};
    }

    /** Each entry as {@code PROTO src:sport > dst:dport STATE zone=Z gen=G}, sorted. */
    private static Set<String> lines(final ConntrackSnapshot copy)
    {
        final Set<String> lines = new TreeSet<>();
        for (final ConntrackEntry entry : copy.entries())
        {
            lines.add(entry.protocol() + " " + Ipv4.format(entry.source()) + ":" + entry.sourcePort() + " > "
                + Ipv4.format(entry.destination()) + ":" + entry.destinationPort() + " " + entry.state() + " zone="
                + Ipv4.format(entry.zone()) + " gen=" + entry.policyGeneration());
        }
        return lines;
    }

    private static Set<String> withoutPorts(final Set<String> lines)
    {
        final Set<String> stripped = new TreeSet<>();
        lines.forEach(line -> stripped.add(line.replaceAll(":\\d+", "")));
        return stripped;
    }

    @Test
    void shouldCopyTheConnectionsTheProbesOpenedOnEveryNodeOnTheDriversThread() throws Exception
    {
        try (ClusterDataplane cluster = twoNodes(0))
        {
            probe(cluster);
            final long generation = cluster.node("node-1").datapath().policy().generation();
            final Map<String, ConntrackSnapshot> copies = cluster.connections(LIMIT, Duration.ofSeconds(2));
            assertEquals(List.of("node-1", "node-2"), new ArrayList<>(copies.keySet()));
            // Every probe's connection on the node of each end, charged to the local pod it belongs to.
            assertEquals(Set.of(
                "1 10.244.1.2 > 10.244.0.2 REPLIED zone=10.244.0.2 gen=" + generation,
                "17 10.244.0.2 > 10.244.1.2 REPLIED zone=10.244.0.2 gen=" + generation,
                // The probe's connection went through its handshake and a full FIN close.
                "6 10.244.0.2 > 10.244.0.3 TIME_WAIT zone=10.244.0.2 gen=" + generation),
                withoutPorts(lines(copies.get("node-1"))), lines(copies.get("node-1")).toString());
            assertEquals(Set.of(
                "1 10.244.1.2 > 10.244.0.2 REPLIED zone=10.244.1.2 gen=" + generation,
                "17 10.244.0.2 > 10.244.1.2 REPLIED zone=10.244.1.2 gen=" + generation),
                withoutPorts(lines(copies.get("node-2"))));
            final ConntrackSnapshot node1 = copies.get("node-1");
            final ConntrackEntry tcp = node1.entries().stream().filter(entry -> entry.protocol() == 6).findFirst().orElseThrow();
            assertEquals(80, tcp.destinationPort());
            assertTrue(tcp.seenReply(), tcp.toString());
            assertTrue(node1.ageSeconds(tcp) < 60, "made just now");
            assertTrue(node1.expiresInSeconds(tcp) > 0, tcp.toString());
            assertEquals(3, node1.held());
            assertFalse(node1.truncated());
            assertTrue(cluster.connections(1, Duration.ofSeconds(2)).get("node-1").truncated());
            assertEquals(0, cluster.node("node-1").datapath().queuedCommands(), "the driver copied it itself");
        }
    }

    @Test
    void shouldMakeTheCopyAtTheNodesNextBatchThroughItsCommandQueue() throws Exception
    {
        try (ClusterDataplane cluster = twoNodes(0))
        {
            probe(cluster);
            final NodeDatapath node1 = cluster.node("node-1").datapath();
            final CompletableFuture<ConntrackSnapshot> request = node1.requestConnections(LIMIT);
            assertFalse(request.isDone(), "the node has not run since");
            assertEquals(1, node1.queuedCommands());
            assertTrue(cluster.runUntilIdle());
            assertTrue(request.isDone(), "the node's next batch made it");
            assertEquals(0, node1.queuedCommands());
            assertEquals(lines(cluster.connections(LIMIT, Duration.ofSeconds(2)).get("node-1")), lines(request.get()));

            final CompletableFuture<ConntrackSnapshot> withdrawn = node1.requestConnections(LIMIT);
            assertTrue(node1.withdraw(withdrawn));
            assertTrue(withdrawn.isCancelled());
            assertEquals(0, node1.queuedCommands(), "its queue slot is free again");
            assertFalse(node1.withdraw(withdrawn), "once");
            assertTrue(cluster.runUntilIdle());
            assertFalse(node1.withdraw(request), "a request the node ran is not in the queue");
        }
    }

    @Test
    void shouldRefuseACopyWhenTheCommandQueueIsFull() throws Exception
    {
        try (ClusterDataplane cluster = twoNodes(0))
        {
            final NodeDatapath node1 = cluster.node("node-1").datapath();
            final List<Future<ConntrackSnapshot>> queued = new ArrayList<>();
            CompletableFuture<ConntrackSnapshot> request;
            while (!(request = node1.requestConnections(1)).isCompletedExceptionally())
            {
                queued.add(request);
            }
            assertTrue(queued.size() > 0);
            assertFalse(node1.forgetConnectionsOf(Ipv4.parse("10.244.0.9")), "the queue is full for every command");
            final ClusterConnections.Unavailable refused = assertThrows(ClusterConnections.Unavailable.class,
                () -> ClusterConnections.request(List.of(cluster.node("node-1")), 1, Duration.ofSeconds(1)));
            assertTrue(refused.getMessage().contains("commands queued already"), refused.getMessage());
            queued.forEach(node1::withdraw);
            assertEquals(0, node1.queuedCommands());
        }
    }

    @Test
    void shouldAnswerAnyThreadFromLiveNodesAndWithdrawTheRequestWhenTheirThreadsAreStopped() throws Exception
    {
        final ExecutorService reader = Executors.newSingleThreadExecutor();
        try (ClusterDataplane cluster = twoNodes(1))
        {
            final Attachment[] pods = probe(cluster);
            final Map<String, ConntrackSnapshot> driverCopy = cluster.connections(LIMIT, Duration.ofSeconds(2));
            cluster.startLive();
            final List<ClusterNode> nodes = List.copyOf(cluster.nodes().values());
            // An API thread: never the driver, never a node.
            final Map<String, ConntrackSnapshot> live = reader.submit(
                () -> ClusterConnections.request(nodes, LIMIT, Duration.ofSeconds(5))).get(10, TimeUnit.SECONDS);
            assertEquals(lines(driverCopy.get("node-1")), lines(live.get("node-1")));
            assertEquals(lines(driverCopy.get("node-2")), lines(live.get("node-2")));
            assertEquals(lines(live.get("node-1")), lines(cluster.connections(LIMIT, Duration.ofSeconds(5)).get("node-1")),
                "the driver asks live nodes through their queues too");
            assertTrue(lines(live.get("node-2")).stream().anyMatch(line -> line.startsWith("17 " + Ipv4.format(pods[0].ip()))));

            cluster.stopLive();
            final Future<ClusterConnections.Unavailable> refused = reader.submit(() -> assertThrows(
                ClusterConnections.Unavailable.class, () -> ClusterConnections.request(nodes, LIMIT, Duration.ofMillis(200))));
            final ClusterConnections.Unavailable unavailable = refused.get(10, TimeUnit.SECONDS);
            assertEquals(List.of("node-1", "node-2"), unavailable.nodes());
            assertTrue(unavailable.getMessage().contains("did not copy its connection table within 200 ms"),
                unavailable.getMessage());
            for (final ClusterNode node : nodes)
            {
                assertEquals(0, node.datapath().queuedCommands(), node.name() + ": the request was withdrawn");
            }
        }
        finally
        {
            reader.shutdownNow();
        }
    }
}
