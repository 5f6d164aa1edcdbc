package dev.podswitch.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /apis/podswitch.dev/v1/connections} through {@link ControlApi#handle}, on an emulated
 * cluster whose nodes run live on their own thread (as a daemon's do): the connections emulated
 * probes opened, named by the model's pods, per node or all; 503 once the nodes' thread is stopped.
 */
class ConnectionsResourceTest
{
    private static final String PATH = "/apis/podswitch.dev/v1/connections";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterDataplane cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24,
        List.of("node-1", "node-2"), ClusterOptions.Underlay.MEMORY).withThreading(1, IdleMode.BLOCKING));
    private final ClusterModel model = new ClusterModel(table -> { });
    private final ControlApi api = new ControlApi(model, () -> cluster.nodes().values(), Map::of);

    @AfterEach
    void close()
    {
        cluster.close();
    }

    /** default/a (node-1) sends UDP to prod/c (node-2) port 53 and pings it. */
    private void probe() throws Exception
    {
        final ServedPorts dns = ServedPorts.of(ServedPorts.key(IpProtocol.UDP, 53));
        final Attachment a = cluster.addPod("default/a", "node-1", 0, dns);
        final Attachment c = cluster.addPod("prod/c", "node-2", 0, dns);
        model.apply(List.of(new ClusterChange.PutNamespace("default", Map.of()), new ClusterChange.PutNamespace("prod", Map.of()),
            new ClusterChange.AddPod(new Pod("default", "a", "node-1", a.ip(), Map.of(), List.of(), a.name())),
            new ClusterChange.AddPod(new Pod("prod", "c", "node-2", c.ip(), Map.of(), List.of(), c.name()))));
        for (final Probe probe : List.of(new Probe(IpProtocol.UDP, a.name(), a.ip(), c.name(), c.ip(), 53),
            new Probe(IpProtocol.ICMP, a.name(), a.ip(), c.name(), c.ip(), 0)))
        {
            assertTrue(a.endpoint().start(probe));
            assertTrue(cluster.runUntilIdle());
            assertTrue(probe.connected(), probe.toString());
        }
    }

    private Map<String, Object> get(final String query, final int status) throws Exception
    {
        final Map<String, List<String>> parameters = new java.util.LinkedHashMap<>();
        if (!query.isEmpty())
        {
            for (final String pair : query.split("&"))
            {
                parameters.put(pair.substring(0, pair.indexOf('=')), List.of(pair.substring(pair.indexOf('=') + 1)));
            }
        }
        final ApiResponse response = api.handle("GET", PATH, parameters, new byte[0]);
        // What goes over the wire: the body as JSON.
        @SuppressWarnings("unchecked")
        final Map<String, Object> body = JSON.readValue(JSON.writeValueAsBytes(response.body()), Map.class);
        assertEquals(status, response.status(), body.toString());
        return body;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> items(final Map<String, Object> body)
    {
        return (List<Map<String, Object>>)body.get("items");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object value)
    {
        return (Map<String, Object>)value;
    }

    private static Map<String, Object> find(final List<Map<String, Object>> items, final String node, final String protocol)
    {
        return items.stream().filter(item -> node.equals(item.get("node")) && protocol.equals(item.get("protocol")))
            .findFirst().orElseThrow(() -> new AssertionError("no " + protocol + " on " + node + " in " + items));
    }

    @Test
    void shouldListEveryNodesTrackedConnectionsWithBothEndsNamed() throws Exception
    {
        probe();
        cluster.startLive();
        final Map<String, Object> body = get("", 200);
        assertEquals("ConnectionList", body.get("kind"));
        assertEquals(false, body.get("truncated"));
        final List<Map<String, Object>> items = items(body);
        assertEquals(4, items.size(), "UDP and ICMP, each tracked on the node of either end: " + items);
        final long generation = cluster.node("node-1").datapath().policy().generation();

        final Map<String, Object> udp = find(items, "node-1", "UDP");
        assertEquals("10.244.0.2", map(udp.get("source")).get("ip"));
        assertEquals("default/a", map(udp.get("source")).get("pod"));
        assertTrue((Integer)map(udp.get("source")).get("port") >= 32768, udp.toString());
        assertEquals(Map.of("ip", "10.244.1.2", "port", 53, "pod", "prod/c"), udp.get("destination"));
        assertEquals("REPLIED", udp.get("state"));
        assertEquals("ALLOWED", udp.get("admitted"));
        assertEquals(generation, ((Number)udp.get("policyGeneration")).longValue());
        assertEquals(false, udp.get("policyChangedSince"));
        assertEquals("default/a", udp.get("zone"), "charged to the local pod that opened it");
        assertTrue(((Number)udp.get("ageSeconds")).longValue() >= 0);
        final long expires = ((Number)udp.get("expiresInSeconds")).longValue();
        assertTrue(expires > 60 && expires <= 120, "a replied UDP flow has 120 s: " + udp);
        assertEquals(Map.of("original", 1, "reply", 1), udp.get("packets"));
        assertEquals("prod/c", find(items, "node-2", "UDP").get("zone"), "node-2 charges it to its own pod");

        final Map<String, Object> icmp = find(items, "node-2", "ICMP");
        assertNull(map(icmp.get("source")).get("port"), "ICMP has no ports");
        assertTrue(icmp.containsKey("icmpId"));
        assertEquals("prod/c", map(icmp.get("destination")).get("pod"));

        final List<Map<String, Object>> node2 = items(get("node=node-2", 200));
        assertEquals(2, node2.size());
        assertTrue(node2.stream().allMatch(item -> "node-2".equals(item.get("node"))));
        assertEquals(4, items(get("namespace=prod", 200)).size(), "prod/c is at one end of each");
        assertEquals(0, items(get("namespace=kube-system", 200)).size());
        assertEquals(1, items(get("node=node-1&limit=1", 200)).size());
        assertEquals(true, get("node=node-1&limit=1", 200).get("truncated"));
    }

    @Test
    void shouldRefuseUnknownNodesBadLimitsAndOtherMethods() throws Exception
    {
        cluster.startLive();
        assertTrue(String.valueOf(get("node=node-9", 404).get("message")).contains("node-1"));
        get("limit=0", 400);
        get("limit=many", 400);
        assertEquals(405, api.handle("POST", PATH, Map.of(), new byte[0]).status());
        assertEquals(0, items(get("", 200)).size(), "no connection yet");
        final ControlApi datastoreOnly = new ControlApi(model, List::of, Map::of);
        assertEquals(404, datastoreOnly.handle("GET", PATH, Map.of(), new byte[0]).status(),
            "with no node in the process there is no table to read");
    }

    @Test
    void shouldAnswer503WhenTheNodesDoNotRunAndLeaveTheirQueuesEmpty() throws Exception
    {
        probe();
        // Not live: the nodes' thread runs only inside the driver's runUntilIdle, so nobody makes the copy.
        final Map<String, Object> status = get("", 503);
        assertEquals("ServiceUnavailable", status.get("reason"));
        assertTrue(String.valueOf(status.get("message")).contains("node node-1 did not copy its connection table"),
            status.toString());
        cluster.nodes().values().forEach(node -> assertEquals(0, node.datapath().queuedCommands(), node.name()));
        assertFalse(cluster.isLive());
    }
}
