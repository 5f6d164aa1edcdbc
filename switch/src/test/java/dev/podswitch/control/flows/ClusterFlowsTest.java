package dev.podswitch.control.flows;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flow log end to end in the emulated mode: a policy that lets only {@code default/web} reach
 * {@code prod/db} on TCP 3306 — a probe from web is FORWARDED with the allowing policy and rule, one
 * from another pod is DROPPED (POLICY_DENIED_INGRESS) naming the policy that isolates db; and the
 * filter of {@code podswitch observe} picks them out.
 */
class ClusterFlowsTest
{
    private static final ServedPorts DB = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 3306));

    @Test
    void shouldRecordAnAllowedFirstPacketWithItsRuleAndADeniedOneWithThePolicyThatIsolates() throws Exception
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(
            ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"), ClusterOptions.Underlay.MEMORY)))
        {
            final ClusterModel model = new ClusterModel(cluster::publishPolicy);
            final Attachment web = cluster.addPod("default/web", "node-1", 0, ServedPorts.of());
            final Attachment other = cluster.addPod("default/other", "node-1", 0, ServedPorts.of());
            final Attachment db = cluster.addPod("prod/db", "node-2", 0, DB);
            model.apply(List.of(
                new ClusterChange.AddPod(new Pod("default", "web", "node-1", web.ip(), Map.of("app", "web"), List.of(), web.name())),
                new ClusterChange.AddPod(new Pod("default", "other", "node-1", other.ip(), Map.of("app", "other"), List.of(),
                    other.name())),
                new ClusterChange.AddPod(new Pod("prod", "db", "node-2", db.ip(), Map.of("app", "db"), List.of(), db.name())),
                new ClusterChange.ApplyNetworkPolicy(Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
                    "metadata", Map.of("name", "db-policy", "namespace", "prod"),
                    "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("app", "db")),
                        "policyTypes", List.of("Ingress"),
                        "ingress", List.of(Map.of(
                            "from", List.of(Map.of("namespaceSelector", Map.of(), "podSelector",
                                Map.of("matchLabels", Map.of("app", "web")))),
                            "ports", List.of(Map.of("protocol", "TCP", "port", 3306)))))))));

            assertEquals(Probe.Answer.OPEN, probe(cluster, web, db));
            assertEquals(Probe.Answer.NONE, probe(cluster, other, db));
            assertEquals(1, cluster.node("node-2").datapath().counters().droppedCount(DropReason.POLICY_DENIED_INGRESS));

            final ClusterFlows.Page all = ClusterFlows.read(cluster.nodes().values(), model.snapshot(), Map.of(), 0,
                FlowFilter.ANY);
            final Map<String, Object> allowed = only(all.flows(), "node-2", "default/web");
            assertEquals("FORWARDED", allowed.get("verdict"));
            assertEquals("INGRESS", allowed.get("traffic_direction"));
            assertEquals(Map.of("TCP", Map.of("source_port", ((Map<?, ?>)((Map<?, ?>)allowed.get("l4")).get("TCP"))
                .get("source_port"), "destination_port", 3306, "flags", Map.of("SYN", true))), allowed.get("l4"));
            final List<?> allowedBy = (List<?>)allowed.get("ingress_allowed_by");
            assertEquals("prod", ((Map<?, ?>)allowedBy.getFirst()).get("namespace"));
            assertEquals("db-policy", ((Map<?, ?>)allowedBy.getFirst()).get("name"));
            assertTrue(String.valueOf(((Map<?, ?>)allowedBy.getFirst()).get("rule")).startsWith("spec.ingress[0]"),
                allowedBy.toString());

            final Map<String, Object> denied = only(all.flows(), "node-2", "default/other");
            assertEquals("DROPPED", denied.get("verdict"));
            assertEquals("POLICY_DENIED_INGRESS", denied.get("drop_reason_desc"));
            assertEquals(List.of(Map.of("namespace", "prod", "name", "db-policy")), denied.get("ingress_denied_by"));
            assertEquals("db", ((Map<?, ?>)((Map<?, ?>)denied.get("destination")).get("labels")).get("app"));

            // node-1 saw both leave: egress, with no egress policy to name.
            final Map<String, Object> egress = only(all.flows(), "node-1", "default/other");
            assertEquals("EGRESS", egress.get("traffic_direction"));
            assertFalse(egress.containsKey("egress_allowed_by"), "no policy isolates other's egress");

            final ClusterFlows.Page droppedOnly = ClusterFlows.read(cluster.nodes().values(), model.snapshot(), Map.of(), 0,
                new FlowFilter(null, null, "prod/db", null, "DROPPED", "TCP", 3306, null));
            assertEquals(1, droppedOnly.flows().size(), droppedOnly.flows().toString());
            final ClusterFlows.Page after = ClusterFlows.read(cluster.nodes().values(), model.snapshot(), all.next(), 0,
                FlowFilter.ANY);
            assertTrue(after.flows().isEmpty(), "a follower reading from the cursor sees nothing new: " + after.flows());
        }
    }

    private static Probe.Answer probe(final ClusterDataplane cluster, final Attachment from, final Attachment to)
    {
        final Probe probe = new Probe(IpProtocol.TCP, from.name(), from.ip(), to.name(), to.ip(), 3306);
        assertTrue(from.endpoint().start(probe));
        assertTrue(cluster.runUntilIdle());
        final Probe.Answer answer = probe.answer();
        cluster.probes().release(probe);
        return answer;
    }

    private static Map<String, Object> only(final List<Map<String, Object>> flows, final String node, final String source)
    {
        final List<Map<String, Object>> found = flows.stream().filter(flow -> node.equals(flow.get("node_name"))
            && flow.get("source") instanceof final Map<?, ?> from
            && source.equals(from.get("namespace") + "/" + from.get("pod_name"))).toList();
        assertEquals(1, found.size(), node + " " + source + ": " + flows);
        return found.getFirst();
    }
}
