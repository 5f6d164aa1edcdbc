package dev.podswitch.policy.reference;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.policy.model.IpBlock;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NamedPort;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;
import dev.podswitch.policy.model.SelectorOperator;
import dev.podswitch.policy.model.SelectorRequirement;
import dev.podswitch.policy.model.Traffic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Small builders for hand-written policy clusters, and a compact one-line-per-object description
 * of a cluster for failure messages (enough to rebuild it by hand).
 */
public final class PolicyFixtures
{
    private PolicyFixtures()
    {
    }

    public static int ip(final String dotted)
    {
        return Ipv4.parse(dotted);
    }

    public static Ipv4Cidr cidr(final String text)
    {
        return Ipv4Cidr.parse(text);
    }

    /** {@code labels("app", "web", "tier", "front")}. */
    public static Map<String, String> labels(final String... keyValues)
    {
        if (keyValues.length % 2 != 0)
        {
            throw new IllegalArgumentException("key/value pairs expected");
        }
        final Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2)
        {
            labels.put(keyValues[i], keyValues[i + 1]);
        }
        return labels;
    }

    public static NamedPort served(final String name, final IpProtocol protocol, final int port)
    {
        return new NamedPort(name, protocol, port);
    }

    public static PolicyEndpoint pod(final String namespace, final String name, final String ip,
        final Map<String, String> labels, final NamedPort... ports)
    {
        return new PolicyEndpoint(PolicyEndpoint.Kind.POD, namespace, name, ip(ip), labels, List.of(ports));
    }

    public static PolicyEndpoint host(final String name, final String ip, final NamedPort... ports)
    {
        return new PolicyEndpoint(PolicyEndpoint.Kind.HOST, null, name, ip(ip), Map.of(), List.of(ports));
    }

    // ---- selectors ----

    public static LabelSelector all()
    {
        return LabelSelector.EVERYTHING;
    }

    public static LabelSelector matchLabels(final String... keyValues)
    {
        return new LabelSelector(labels(keyValues), List.of());
    }

    public static LabelSelector selector(final Map<String, String> matchLabels, final SelectorRequirement... expressions)
    {
        return new LabelSelector(matchLabels, List.of(expressions));
    }

    public static LabelSelector matchExpressions(final SelectorRequirement... expressions)
    {
        return new LabelSelector(Map.of(), List.of(expressions));
    }

    public static SelectorRequirement in(final String key, final String... values)
    {
        return new SelectorRequirement(key, SelectorOperator.IN, List.of(values));
    }

    public static SelectorRequirement notIn(final String key, final String... values)
    {
        return new SelectorRequirement(key, SelectorOperator.NOT_IN, List.of(values));
    }

    public static SelectorRequirement exists(final String key)
    {
        return new SelectorRequirement(key, SelectorOperator.EXISTS, List.of());
    }

    public static SelectorRequirement doesNotExist(final String key)
    {
        return new SelectorRequirement(key, SelectorOperator.DOES_NOT_EXIST, List.of());
    }

    // ---- peers ----

    public static PolicyPeer podPeer(final LabelSelector podSelector)
    {
        return new PolicyPeer(podSelector, null, null);
    }

    public static PolicyPeer namespacePeer(final LabelSelector namespaceSelector)
    {
        return new PolicyPeer(null, namespaceSelector, null);
    }

    public static PolicyPeer podAndNamespacePeer(final LabelSelector podSelector, final LabelSelector namespaceSelector)
    {
        return new PolicyPeer(podSelector, namespaceSelector, null);
    }

    public static PolicyPeer ipBlock(final String cidr, final String... except)
    {
        return new PolicyPeer(null, null, new IpBlock(cidr(cidr), Arrays.stream(except).map(Ipv4Cidr::parse).toList()));
    }

    // ---- ports ----

    public static PolicyPort port(final IpProtocol protocol, final int port)
    {
        return new PolicyPort(protocol, port, null, null);
    }

    public static PolicyPort range(final IpProtocol protocol, final int port, final int endPort)
    {
        return new PolicyPort(protocol, port, null, endPort);
    }

    public static PolicyPort named(final IpProtocol protocol, final String name)
    {
        return new PolicyPort(protocol, null, name, null);
    }

    /** Every port of the protocol. */
    public static PolicyPort anyPort(final IpProtocol protocol)
    {
        return new PolicyPort(protocol, null, null, null);
    }

    // ---- rules and policies ----

    public static PolicyRule rule(final List<PolicyPeer> peers, final PolicyPort... ports)
    {
        return new PolicyRule(peers, List.of(ports));
    }

    public static PolicyRule allowAll()
    {
        return new PolicyRule(List.of(), List.of());
    }

    public static NetworkPolicy policy(final String namespace, final String name, final LabelSelector podSelector,
        final Set<PolicyType> types, final List<PolicyRule> ingress, final List<PolicyRule> egress)
    {
        return new NetworkPolicy(namespace, name, podSelector, types, ingress, egress);
    }

    public static NetworkPolicy ingress(final String namespace, final String name, final LabelSelector podSelector,
        final PolicyRule... rules)
    {
        return policy(namespace, name, podSelector, Set.of(PolicyType.INGRESS), List.of(rules), List.of());
    }

    public static NetworkPolicy egress(final String namespace, final String name, final LabelSelector podSelector,
        final PolicyRule... rules)
    {
        return policy(namespace, name, podSelector, Set.of(PolicyType.EGRESS), List.of(), List.of(rules));
    }

    public static PolicyCluster cluster(final Map<String, Map<String, String>> namespaces,
        final List<PolicyEndpoint> endpoints, final NetworkPolicy... policies)
    {
        return new PolicyCluster(namespaces, endpoints, List.of(policies));
    }

    // ---- comparing the two evaluators ----

    /** The compiled check's expected result for a reference verdict: egress is judged first. */
    public static int expectedCheck(final Verdict verdict)
    {
        if (!verdict.egress().allowed())
        {
            return PolicyTable.DENY_EGRESS;
        }
        return verdict.ingress().allowed() ? PolicyTable.ALLOW : PolicyTable.DENY_INGRESS;
    }

    public static String checkName(final int check)
    {
        return switch (check)
        {
            case PolicyTable.ALLOW -> "ALLOW";
            case PolicyTable.DENY_EGRESS -> "DENY_EGRESS";
            case PolicyTable.DENY_INGRESS -> "DENY_INGRESS";
            default -> "?" + check;
        };
    }

    public static int check(final PolicyTable table, final Traffic traffic)
    {
        return table.check(traffic.sourceIp(), traffic.destinationIp(), traffic.protocolNumber(),
            traffic.destinationPort(), true, true);
    }

    public static String describe(final Traffic traffic)
    {
        final IpProtocol protocol = IpProtocol.ofNumber(traffic.protocolNumber());
        return Ipv4.format(traffic.sourceIp()) + " -> " + Ipv4.format(traffic.destinationIp()) + " "
            + (protocol == null ? "proto " + traffic.protocolNumber() : protocol.name())
            + (protocol == null || protocol.hasPorts() ? "/" + traffic.destinationPort() : "");
    }

    public static String describe(final Verdict verdict)
    {
        return "egress " + describe(verdict.egress()) + "; ingress " + describe(verdict.ingress());
    }

    private static String describe(final DirectionDecision decision)
    {
        if (decision.pod() == null)
        {
            return "ALLOW (not a pod)";
        }
        return (decision.allowed() ? "ALLOW" : "DENY") + " for " + decision.pod()
            + " selecting=" + decision.selecting() + " isolating=" + decision.isolating()
            + (decision.allowedBy() == null ? "" : " by " + decision.allowedBy().describe());
    }

    /** A cluster, one object a line, in a compact manifest-like notation. */
    public static String describe(final PolicyCluster cluster)
    {
        final StringBuilder text = new StringBuilder();
        cluster.namespaceLabels().forEach((namespace, labels) ->
            text.append("  namespace ").append(namespace).append(' ').append(labels).append('\n'));
        for (final PolicyEndpoint endpoint : cluster.endpoints())
        {
            text.append("  ").append(endpoint.isPod() ? "pod " : "host ").append(endpoint.key()).append(' ')
                .append(Ipv4.format(endpoint.ip())).append(' ').append(endpoint.labels()).append(" ports=")
                .append(endpoint.ports().stream().map(PolicyFixtures::describe).collect(Collectors.joining(",", "[", "]")))
                .append('\n');
        }
        for (final NetworkPolicy policy : cluster.policies())
        {
            text.append("  policy ").append(policy.key()).append(" podSelector=").append(describe(policy.podSelector()))
                .append(" types=").append(policy.policyTypes().stream().map(PolicyType::apiName).sorted().toList())
                .append('\n');
            appendRules(text, "ingress", "from", policy.ingress());
            appendRules(text, "egress", "to", policy.egress());
        }
        return text.toString();
    }

    private static void appendRules(final StringBuilder text, final String field, final String peerField,
        final List<PolicyRule> rules)
    {
        for (int i = 0; i < rules.size(); i++)
        {
            final PolicyRule rule = rules.get(i);
            final List<String> peers = new ArrayList<>();
            for (final PolicyPeer peer : rule.peers())
            {
                peers.add(describe(peer));
            }
            text.append("    ").append(field).append('[').append(i).append("] ").append(peerField).append('=')
                .append(peers).append(" ports=")
                .append(rule.ports().stream().map(PolicyFixtures::describe).toList()).append('\n');
        }
    }

    public static String describe(final PolicyPeer peer)
    {
        if (peer.ipBlock() != null)
        {
            return "ipBlock(" + peer.ipBlock().cidr() + (peer.ipBlock().except().isEmpty() ? "" : " except "
                + peer.ipBlock().except()) + ")";
        }
        return (peer.podSelector() == null ? "" : "pod" + describe(peer.podSelector()))
            + (peer.podSelector() != null && peer.namespaceSelector() != null ? "&" : "")
            + (peer.namespaceSelector() == null ? "" : "ns" + describe(peer.namespaceSelector()));
    }

    public static String describe(final LabelSelector selector)
    {
        final List<String> parts = new ArrayList<>();
        selector.matchLabels().forEach((key, value) -> parts.add(key + "=" + value));
        for (final SelectorRequirement requirement : selector.matchExpressions())
        {
            parts.add(requirement.key() + " " + requirement.operator().apiName()
                + (requirement.values().isEmpty() ? "" : " " + requirement.values()));
        }
        return parts.stream().collect(Collectors.joining(", ", "{", "}"));
    }

    public static String describe(final PolicyPort port)
    {
        final String value = port.portName() != null ? port.portName()
            : port.port() == null ? "*" : port.endPort() == null ? port.port().toString() : port.port() + "-" + port.endPort();
        return port.protocol() + "/" + value;
    }

    public static String describe(final NamedPort port)
    {
        return (port.name() == null ? "" : port.name() + "=") + port.protocol() + "/" + port.port();
    }
}
