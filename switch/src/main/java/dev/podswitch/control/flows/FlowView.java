package dev.podswitch.control.flows;

import dev.podswitch.control.model.Host;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.flow.FlowLog;
import dev.podswitch.dataplane.flow.FlowRecord;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.reference.DirectionDecision;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import dev.podswitch.policy.reference.RuleMatch;
import dev.podswitch.policy.reference.Verdict;
import dev.podswitch.policy.model.Traffic;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a node's raw flow records into flows in Hubble's vocabulary — {@code time},
 * {@code node_name}, {@code verdict}, {@code drop_reason_desc}, {@code traffic_direction},
 * {@code is_reply}, {@code source}/{@code destination} as {@code {namespace, pod_name, labels, ip}}
 * (or a host's or the world's name), {@code l4}, and which policies allowed or denied it — so
 * Hubble users read them without a dictionary.
 *
 * <p>Names and policies come from the cluster model as it is when the record is read: the data
 * plane records numbers only. The policies are named by the reference evaluator — the literal
 * reading of the NetworkPolicy documentation the compiled classifier is proven equal to — asked
 * the same question the compiled table answered. A record judged by an older policy generation
 * than the one in force says so ({@code policy_changed_since}): its attribution is today's.
 * Control plane only; one view per read.
 */
public final class FlowView
{
    private static final String[] TCP_FLAGS = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

    private final PolicyCluster policies;
    private final Map<Integer, Pod> podByIp = new HashMap<>();
    private final Map<Integer, Host> hostByIp = new HashMap<>();
    private final Map<Traffic, Verdict> verdicts = new HashMap<>();
    private final long wallMinusMonotonicNs;
    private final long currentGeneration;

    /**
     * @param currentGeneration the generation of the policy the data plane has in force now.
     */
    public FlowView(final ModelSnapshot snapshot, final long currentGeneration)
    {
        this.policies = snapshot.policyCluster();
        this.currentGeneration = currentGeneration;
        snapshot.pods().values().forEach(pod -> podByIp.put(pod.ip(), pod));
        snapshot.hosts().values().forEach(host -> hostByIp.put(host.ip(), host));
        final Instant now = Instant.now();
        this.wallMinusMonotonicNs = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
    }

    /** One record of {@code node} as a flow. */
    public Map<String, Object> render(final String node, final FlowRecord record)
    {
        final Map<String, Object> flow = new LinkedHashMap<>();
        final long wallNs = record.timeNs + wallMinusMonotonicNs;
        flow.put("time", Instant.ofEpochSecond(Math.floorDiv(wallNs, 1_000_000_000L), Math.floorMod(wallNs, 1_000_000_000L))
            .toString());
        flow.put("node_name", node);
        final boolean forwarded = record.verdict == FlowLog.VERDICT_FORWARDED;
        flow.put("verdict", forwarded ? "FORWARDED" : "DROPPED");
        if (!forwarded)
        {
            flow.put("drop_reason_desc", record.dropReason.name());
        }
        flow.put("traffic_direction", record.direction == FlowLog.DIRECTION_INGRESS ? "INGRESS" : "EGRESS");
        flow.put("is_reply", false);
        flow.put("source", endpoint(record.addressed, record.sourceIp));
        flow.put("destination", endpoint(record.addressed, record.destinationIp));
        if (record.addressed)
        {
            flow.put("l4", l4(record));
            attribute(flow, node, record);
        }
        if (record.leftOutBefore > 0)
        {
            flow.put("left_out_before", record.leftOutBefore);
        }
        flow.put("sequence", record.sequence);
        flow.put("policy_generation", record.policyGeneration);
        if (record.policyGeneration != currentGeneration)
        {
            flow.put("policy_changed_since", true);
        }
        return flow;
    }

    private Map<String, Object> endpoint(final boolean addressed, final int ip)
    {
        final Map<String, Object> endpoint = new LinkedHashMap<>();
        if (!addressed)
        {
            endpoint.put("name", "unknown (malformed packet)");
            return endpoint;
        }
        final Pod pod = podByIp.get(ip);
        final Host host = hostByIp.get(ip);
        if (pod != null)
        {
            endpoint.put("namespace", pod.namespace());
            endpoint.put("pod_name", pod.name());
            endpoint.put("labels", new TreeMap<>(pod.labels()));
            endpoint.put("node_name", pod.node());
        }
        else if (host != null)
        {
            endpoint.put("name", host.name());
        }
        else
        {
            endpoint.put("name", "world");
        }
        endpoint.put("ip", Ipv4.format(ip));
        return endpoint;
    }

    private static Map<String, Object> l4(final FlowRecord record)
    {
        final Map<String, Object> fields = new LinkedHashMap<>();
        final String protocol;
        switch (record.protocol)
        {
            case 6 ->
            {
                protocol = "TCP";
                ports(fields, record);
                final Map<String, Object> flags = new LinkedHashMap<>();
                for (int bit = 0; bit < TCP_FLAGS.length; bit++)
                {
                    if ((record.tcpFlags & (1 << bit)) != 0)
                    {
                        flags.put(TCP_FLAGS[bit], true);
                    }
                }
                fields.put("flags", flags);
            }
            case 17 ->
            {
                protocol = "UDP";
                ports(fields, record);
            }
            case 132 ->
            {
                protocol = "SCTP";
                ports(fields, record);
            }
            case 1 ->
            {
                protocol = "ICMPv4";
                fields.put("type", record.icmpType);
            }
            default ->
            {
                protocol = "IP";
                fields.put("protocol", record.protocol);
            }
        }
        return Map.of(protocol, fields);
    }

    private static void ports(final Map<String, Object> fields, final FlowRecord record)
    {
        fields.put("source_port", record.sourcePort);
        fields.put("destination_port", record.destinationPort);
    }

    /** Which policies allowed or denied it, for the directions this node judges (its own pods' ends). */
    private void attribute(final Map<String, Object> flow, final String node, final FlowRecord record)
    {
        final Traffic traffic = new Traffic(record.sourceIp, record.destinationIp, record.protocol,
            record.protocol == 6 || record.protocol == 17 || record.protocol == 132 ? record.destinationPort : 0);
        // The literal evaluator reads every policy for every question: ask it once per distinct question.
        final Verdict verdict = verdicts.computeIfAbsent(traffic, question -> ReferenceEvaluator.evaluate(policies, question));
        final Pod source = podByIp.get(record.sourceIp);
        final Pod destination = podByIp.get(record.destinationIp);
        if (source != null && node.equals(source.node()))
        {
            direction(flow, "egress", verdict.egress());
        }
        if (destination != null && node.equals(destination.node()) && verdict.egress().allowed())
        {
            direction(flow, "ingress", verdict.ingress());
        }
    }

    private static void direction(final Map<String, Object> flow, final String name, final DirectionDecision decision)
    {
        if (!decision.isolated())
        {
            return;
        }
        if (decision.allowedBy() != null)
        {
            flow.put(name + "_allowed_by", List.of(policy(decision.allowedBy())));
            return;
        }
        final List<Map<String, Object>> denied = new ArrayList<>();
        for (final String key : decision.isolating())
        {
            denied.add(named(key));
        }
        flow.put(name + "_denied_by", denied);
    }

    private static Map<String, Object> policy(final RuleMatch match)
    {
        final Map<String, Object> named = named(match.policy());
        named.put("rule", match.describe().substring(match.policy().length() + 1));
        return named;
    }

    private static Map<String, Object> named(final String key)
    {
        final int slash = key.indexOf('/');
        final Map<String, Object> named = new LinkedHashMap<>();
        named.put("namespace", key.substring(0, slash));
        named.put("name", key.substring(slash + 1));
        return named;
    }
}
