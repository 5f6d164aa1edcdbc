package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.dataplane.classify.PeerSet;
import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.classify.PortRulesBuilder;
import dev.podswitch.dataplane.forward.IntHashMap;
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

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a {@link PolicyCluster} into the data plane's {@link PolicyTable}: identities for pods,
 * selectors into identity sets, ipBlocks into address ranges, and for every pod and direction the
 * union of all rules of all policies that isolate it, keyed by protocol and port.
 *
 * <p>Tables depend on a pod's identity (which policies select it, which peers match) and — for
 * ingress rules with named ports — on its own container ports, so pods that share both share one
 * compiled table. Egress named ports are resolved against each destination that serves that name,
 * becoming a rule for exactly that destination's address and port number.
 */
public final class PolicyCompiler
{
    private final PolicyCluster cluster;
    private final Identities identities;
    private final Map<RuleKey, PeerSetBuilder> peersByRule = new HashMap<>();

    /** A rule's peers depend on its policy's namespace (a bare podSelector means "this namespace"). */
    private record RuleKey(String namespace, PolicyRule rule)
    {
    }
    private final Map<String, DirectionRules> tableCache = new HashMap<>();

    private PolicyCompiler(final PolicyCluster cluster)
    {
        this.cluster = cluster;
        this.identities = new Identities(cluster);
    }

    public static PolicyTable compile(final PolicyCluster cluster, final long generation)
    {
        return new PolicyCompiler(cluster).compile(generation);
    }

    private PolicyTable compile(final long generation)
    {
        final List<PolicyEndpoint> pods = cluster.endpoints().stream().filter(PolicyEndpoint::isPod).toList();
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(Math.max(1, pods.size()));
        for (final PolicyEndpoint pod : pods)
        {
            final int identity = identities.numberOf(pod);
            final List<NetworkPolicy> selecting = selecting(pod, identity);
            final DirectionRules ingress = table(PolicyType.INGRESS, pod, identity, selecting);
            final DirectionRules egress = table(PolicyType.EGRESS, pod, identity, selecting);
            rulesByIp.put(pod.ip(), new PolicyTable.EndpointRules(identity, ingress, egress));
        }
        return new PolicyTable(generation, rulesByIp);
    }

    private List<NetworkPolicy> selecting(final PolicyEndpoint pod, final int identity)
    {
        final List<NetworkPolicy> selecting = new ArrayList<>();
        for (final NetworkPolicy policy : cluster.policies())
        {
            if (identities.podsInNamespace(policy.namespace(), policy.podSelector()).get(identity))
            {
                selecting.add(policy);
            }
        }
        return selecting;
    }

    private DirectionRules table(final PolicyType direction, final PolicyEndpoint pod, final int identity,
        final List<NetworkPolicy> selecting)
    {
        final List<NetworkPolicy> isolating = selecting.stream().filter(p -> p.policyTypes().contains(direction)).toList();
        if (isolating.isEmpty())
        {
            return DirectionRules.NOT_ISOLATED;
        }
        // Ingress named ports resolve against this pod, so its ports are part of the table's identity.
        final String key = direction + "\u0000" + identity + (direction == PolicyType.INGRESS ? "\u0000" + pod.ports() : "");
        final DirectionRules cached = tableCache.get(key);
        if (cached != null)
        {
            return cached;
        }
        final PortRulesBuilder builder = new PortRulesBuilder();
        for (final NetworkPolicy policy : isolating)
        {
            for (final PolicyRule rule : direction == PolicyType.INGRESS ? policy.ingress() : policy.egress())
            {
                addRule(builder, direction, policy, rule, pod);
            }
        }
        final DirectionRules rules = new DirectionRules(true, builder.build());
        tableCache.put(key, rules);
        return rules;
    }

    private void addRule(final PortRulesBuilder builder, final PolicyType direction, final NetworkPolicy policy,
        final PolicyRule rule, final PolicyEndpoint pod)
    {
        final PeerSetBuilder peers = peersByRule.computeIfAbsent(new RuleKey(policy.namespace(), rule),
            key -> peers(policy, rule));
        if (rule.ports().isEmpty())
        {
            builder.anyProtocol(peers);
            return;
        }
        for (final PolicyPort port : rule.ports())
        {
            final int protocol = port.protocol().number();
            if (port.portName() != null)
            {
                if (direction == PolicyType.INGRESS)
                {
                    for (final NamedPort served : pod.ports())
                    {
                        if (port.portName().equals(served.name()) && served.protocol() == port.protocol())
                        {
                            builder.ports(protocol, served.port(), served.port(), peers);
                        }
                    }
                }
                else
                {
                    addEgressNamedPort(builder, port, peers.build());
                }
            }
            else if (port.port() == null)
            {
                builder.ports(protocol, 0, 65535, peers);
            }
            else
            {
                builder.ports(protocol, port.port(), port.endPort() == null ? port.port() : port.endPort(), peers);
            }
        }
    }

    /** A named egress port means "that name on whichever destination pod serves it": one /32 per destination. */
    private void addEgressNamedPort(final PortRulesBuilder builder, final PolicyPort port,
        final PeerSet peers)
    {
        for (final PolicyEndpoint destination : cluster.endpoints())
        {
            if (!destination.isPod())
            {
                continue; // named ports are container ports: only pods have them
            }
            final int identity = identities.numberOf(destination);
            if (!peers.contains(identity, destination.ip()))
            {
                continue;
            }
            for (final NamedPort served : destination.ports())
            {
                if (port.portName().equals(served.name()) && served.protocol() == port.protocol())
                {
                    final long ip = destination.ip() & 0xFFFF_FFFFL;
                    builder.ports(port.protocol().number(), served.port(), served.port(), new PeerSetBuilder().range(ip, ip));
                }
            }
        }
    }

    private PeerSetBuilder peers(final NetworkPolicy policy, final PolicyRule rule)
    {
        final PeerSetBuilder peers = new PeerSetBuilder();
        if (rule.peers().isEmpty())
        {
            return peers.any();
        }
        for (final PolicyPeer peer : rule.peers())
        {
            if (peer.ipBlock() != null)
            {
                addIpBlock(peers, peer.ipBlock());
            }
            else if (peer.namespaceSelector() == null)
            {
                peers.identities(identities.podsInNamespace(policy.namespace(), orEverything(peer.podSelector())));
            }
            else
            {
                peers.identities(identities.podsInMatchingNamespaces(peer.namespaceSelector(),
                    orEverything(peer.podSelector())));
            }
        }
        return peers;
    }

    private static LabelSelector orEverything(final LabelSelector selector)
    {
        return selector == null ? LabelSelector.EVERYTHING : selector;
    }

    /** The cidr minus every except, as disjoint unsigned ranges. */
    private static void addIpBlock(final PeerSetBuilder peers, final IpBlock block)
    {
        List<long[]> ranges = new ArrayList<>();
        ranges.add(bounds(block.cidr()));
        for (final Ipv4Cidr except : block.except())
        {
            final long[] cut = bounds(except);
            final List<long[]> remaining = new ArrayList<>();
            for (final long[] range : ranges)
            {
                if (cut[1] < range[0] || cut[0] > range[1])
                {
                    remaining.add(range);
                    continue;
                }
                if (cut[0] > range[0])
                {
                    remaining.add(new long[] {range[0], cut[0] - 1});
                }
                if (cut[1] < range[1])
                {
                    remaining.add(new long[] {cut[1] + 1, range[1]});
                }
            }
            ranges = remaining;
        }
        for (final long[] range : ranges)
        {
            peers.range(range[0], range[1]);
        }
    }

    private static long[] bounds(final Ipv4Cidr cidr)
    {
        final long first = cidr.network() & 0xFFFF_FFFFL;
        return new long[] {first, first + cidr.size() - 1};
    }

    /** For tests and reports: how many identities the cluster compiled to. */
    public static int identityCount(final PolicyCluster cluster)
    {
        return new Identities(cluster).count();
    }
}
