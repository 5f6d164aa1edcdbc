package dev.podswitch.agent.metrics;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data plane's metrics from a real emulated cluster — two nodes on the in-memory underlay, pods
 * that send real probes through the pipelines, NetworkPolicy published through a cluster model —
 * scraped over HTTP from the agent's metrics server on loopback, as Prometheus would.
 */
class DataplaneMetricsTest
{
    private static final ServedPorts WEB = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 80));

    private ClusterDataplane cluster;
    private ClusterModel model;
    private AgentMetrics metrics;
    private Attachment client;
    private Attachment db;

    @BeforeEach
    void startClusterAndMetrics() throws Exception
    {
        cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY));
        model = new ClusterModel(cluster::publishPolicy);
        metrics = AgentMetrics.forAgent(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            () -> cluster.nodes().values());
        model.compileTimer(metrics.policyCompiles());
        client = cluster.addPod("default/client", "node-1", 0, WEB);
        db = cluster.addPod("default/db", "node-2", 0, WEB);
        model.apply(List.of(new ClusterChange.PutNamespace("default", Map.of()),
            new ClusterChange.AddPod(new Pod("default", "client", "node-1", client.ip(), Map.of("app", "client"), List.of(),
                client.name())),
            new ClusterChange.AddPod(new Pod("default", "db", "node-2", db.ip(), Map.of("app", "db"), List.of(),
                db.name()))));
    }

    @AfterEach
    void closeEverything()
    {
        metrics.close();
        cluster.close();
    }

    /** Every ingress to app=db denied: a NetworkPolicy that selects it and allows nothing in. */
    private void denyIngressToDb() throws Exception
    {
        model.apply(List.of(new ClusterChange.ApplyNetworkPolicy(Map.of("apiVersion", "networking.k8s.io/v1",
            "kind", "NetworkPolicy", "metadata", Map.of("name", "db-deny-all", "namespace", "default"),
            "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("app", "db")), "policyTypes", List.of("Ingress"))))));
    }

    /** A TCP probe from client to db; returns whether it connected. */
    private boolean probeClientToDb()
    {
        final Probe probe = new Probe(IpProtocol.TCP, client.name(), client.ip(), db.name(), db.ip(), 80);
        assertTrue(client.endpoint().start(probe));
        assertTrue(cluster.runUntilIdle());
        final boolean connected = probe.connected();
        cluster.probes().release(probe);
        return connected;
    }

    private Scrape scrape() throws Exception
    {
        return Scrape.of(metrics.url());
    }

    @Test
    void shouldCountEachDeniedProbeOnceAsAPolicyDropAndAnIngressDenyVerdict() throws Exception
    {
        assertTrue(probeClientToDb(), "allowed before the policy");
        denyIngressToDb();
        final Scrape before = scrape();
        final int denied = 5;
        for (int i = 0; i < denied; i++)
        {
            assertFalse(probeClientToDb(), "denied by the policy");
        }
        final Scrape after = scrape();

        final String[] ingressDrops = {"node", "node-2", "reason", DropReason.POLICY_DENIED_INGRESS.name()};
        assertEquals(denied, after.value("podswitch_dropped_packets_total", ingressDrops)
            - before.value("podswitch_dropped_packets_total", ingressDrops));
        final String[] ingressDenies = {"node", "node-2", "direction", "ingress", "action", "deny"};
        assertEquals(denied, after.value("podswitch_policy_verdicts_total", ingressDenies)
            - before.value("podswitch_policy_verdicts_total", ingressDenies));
        assertEquals(0, after.value("podswitch_dropped_packets_total", "node", "node-1", "reason",
            DropReason.POLICY_DENIED_INGRESS.name()), "the client's node judged no ingress");
        assertEquals(1, after.value("podswitch_policy_verdicts_total", "node", "node-2", "direction", "ingress",
            "action", "allow"), "the one probe before the policy");
        for (final String node : List.of("node-1", "node-2"))
        {
            // What the scrape says is what the node's own counters say (idle now, so they balance).
            final var counters = cluster.node(node).datapath().counters();
            assertEquals(counters.receivedCount(), after.value("podswitch_received_packets_total", "node", node));
            assertEquals(counters.forwardedCount(), after.value("podswitch_forwarded_packets_total", "node", node));
            assertEquals(counters.answeredCount(), after.value("podswitch_answered_packets_total", "node", node));
            assertEquals(counters.droppedTotal(), sumOfDrops(after, node));
        }
    }

    private static double sumOfDrops(final Scrape scrape, final String node)
    {
        double sum = 0;
        for (final DropReason reason : DropReason.values())
        {
            sum += scrape.value("podswitch_dropped_packets_total", "node", node, "reason", reason.name());
        }
        return sum;
    }

    @Test
    void shouldListEveryDropReasonOfEveryNodeFromTheStartZerosIncluded() throws Exception
    {
        final Scrape scrape = scrape();
        assertEquals(2L * DropReason.values().length, scrape.count("podswitch_dropped_packets_total"));
        assertEquals(0, scrape.value("podswitch_dropped_packets_total", "node", "node-2", "reason", "RING_FULL"));
        assertEquals(2L * 4, scrape.count("podswitch_policy_verdicts_total"), "two directions, two actions, two nodes");
    }

    @Test
    void shouldReportConntrackEntriesAsTheTableHoldsThem() throws Exception
    {
        for (int i = 0; i < 3; i++)
        {
            assertTrue(probeClientToDb());
        }
        final Scrape scrape = scrape();
        for (final String node : List.of("node-1", "node-2"))
        {
            // The test thread drives the pipelines (runUntilIdle), so it may read the table's own size here.
            final var tracker = cluster.node(node).datapath().connections();
            assertTrue(tracker.size() > 0, node + " tracks the probes' connections");
            assertEquals(tracker.size(), scrape.value("podswitch_conntrack_entries", "node", node), node);
            assertEquals(tracker.capacity(), scrape.value("podswitch_conntrack_capacity", "node", node));
            assertEquals(tracker.counters().evictions(), scrape.value("podswitch_conntrack_evictions_total", "node", node));
        }
    }

    @Test
    void shouldReportTheFramesWaitingInARingAndItsSize() throws Exception
    {
        final NodeDatapath node = cluster.node("node-1").datapath();
        assertEquals(0, scrape().value("podswitch_ring_occupancy", "node", "node-1"));
        final MemorySegment frame = Arena.ofAuto().allocate(64);
        assertTrue(node.ring().offer(1, frame, 0, 64));
        assertTrue(node.ring().offer(1, frame, 0, 64));
        final Scrape scrape = scrape();
        assertEquals(2, scrape.value("podswitch_ring_occupancy", "node", "node-1"), "offered, not yet drained");
        assertEquals(node.ring().slots(), scrape.value("podswitch_ring_slots", "node", "node-1"));
        assertEquals(0, scrape.value("podswitch_ring_occupancy", "node", "node-2"));
    }

    @Test
    void shouldTimeEveryApplysPolicyCompileOnce() throws Exception
    {
        final double before = scrape().value("podswitch_policy_compile_seconds_count");
        denyIngressToDb();
        model.apply(List.of(new ClusterChange.PutNamespace("prod", Map.of())));
        final Scrape after = scrape();
        assertEquals(2, after.value("podswitch_policy_compile_seconds_count") - before);
        assertEquals(after.value("podswitch_policy_compile_seconds_count"),
            after.value("podswitch_policy_compile_seconds_bucket", "le", "+Inf"));
        assertTrue(after.value("podswitch_policy_compile_seconds_sum") > 0);
    }
}
