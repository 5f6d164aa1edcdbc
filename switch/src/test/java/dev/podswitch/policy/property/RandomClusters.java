package dev.podswitch.policy.property;

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

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded random clusters for differential testing. Vocabularies are small on purpose so that
 * selectors hit, container port names and numbers collide (two pods serving one name on different
 * numbers, one number under different names), and ipBlocks land on real endpoints. Everything
 * generated is valid as the API server would accept it: In/NotIn have values, endPort ≥ port,
 * excepts lie strictly inside their cidr, container port names are unique within a pod.
 */
final class RandomClusters
{
    static final String[] NAMESPACES = {"default", "ns1", "ns2", "ns3"};
    static final String[] NAMESPACE_KEYS = {"team", "env"};
    static final String[] NAMESPACE_VALUES = {"x", "y"};
    static final String[] POD_KEYS = {"app", "tier", "env"};
    static final String[] POD_VALUES = {"a", "b", "c"};
    static final String[] PORT_NAMES = {"http", "metrics", "dns", "db"};
    static final int[] PORT_NUMBERS = {80, 81, 443, 8080, 9000};
    static final int[][] RANGES = {{80, 81}, {80, 443}, {81, 8080}, {443, 443}, {8000, 9000}, {1, 65535},
        {9000, 65535}, {82, 442}};
    /** Every number the generator uses, with the numbers just outside each range. */
    static final int[] PROBE_PORTS = {1, 79, 80, 81, 82, 442, 443, 444, 7999, 8000, 8080, 8081, 8999, 9000, 9001,
        65535};
    static final IpProtocol[] PORTED = {IpProtocol.TCP, IpProtocol.TCP, IpProtocol.UDP, IpProtocol.SCTP};

    /** Pod networks: one below 128.0.0.0, one above (signed and unsigned order differ there). */
    static final String[] POD_NETWORKS = {"10.244.0.0", "10.244.0.0", "172.20.0.0", "200.10.0.0"};
    static final String[] HOST_ADDRESSES = {"192.168.5.10", "192.168.5.200", "203.0.113.7", "8.8.8.8",
        "172.16.0.20", "255.255.255.254", "1.2.3.4", "127.255.255.255", "128.0.0.1"};
    static final int[] PREFIXES = {0, 1, 2, 8, 12, 16, 20, 24, 28, 30, 31, 32};

    private final SplittableRandom random;
    private final int podNetwork;

    private RandomClusters(final long seed)
    {
        this.random = new SplittableRandom(seed);
        this.podNetwork = Ipv4.parse(POD_NETWORKS[random.nextInt(POD_NETWORKS.length)]);
    }

    /** A random cluster and the address inside the pod network that nobody owns. */
    record Generated(PolicyCluster cluster, int unownedIp)
    {
    }

    static Generated generate(final long seed)
    {
        return new RandomClusters(seed).cluster();
    }

    /** A generator for follow-up changes to a generated cluster (relabel, add a pod). */
    static Mutator mutator(final long seed)
    {
        return new Mutator(new RandomClusters(seed ^ 0x5DEE_CE66L));
    }

    private Generated cluster()
    {
        final int namespaceCount = random.nextInt(1, 5);
        final Map<String, Map<String, String>> namespaces = new LinkedHashMap<>();
        for (int i = 0; i < namespaceCount; i++)
        {
            namespaces.put(NAMESPACES[i], labels(NAMESPACE_KEYS, NAMESPACE_VALUES));
        }
        final List<String> namespaceNames = List.copyOf(namespaces.keySet());
        final List<PolicyEndpoint> endpoints = new ArrayList<>();
        final Set<Integer> used = new HashSet<>();
        final int unowned = podNetwork | (250 << 8) | 1;
        used.add(unowned);
        final int podCount = random.nextInt(2, 26);
        for (int i = 0; i < podCount; i++)
        {
            endpoints.add(pod(namespaceNames.get(random.nextInt(namespaceNames.size())), "pod" + i, freshPodIp(used)));
        }
        final int hostCount = random.nextInt(0, 4);
        for (int i = 0; i < hostCount; i++)
        {
            int ip;
            do
            {
                ip = Ipv4.parse(HOST_ADDRESSES[random.nextInt(HOST_ADDRESSES.length)]);
            }
            while ((ip & 0xFFFF_0000) == podNetwork || !used.add(ip));
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.HOST, null, "host" + i, ip, Map.of(), namedPorts()));
        }
        final List<Integer> addresses = new ArrayList<>();
        endpoints.forEach(endpoint -> addresses.add(endpoint.ip()));
        addresses.add(unowned);
        final List<NetworkPolicy> policies = new ArrayList<>();
        final int policyCount = random.nextInt(0, 9);
        for (int i = 0; i < policyCount; i++)
        {
            policies.add(policy(namespaceNames.get(random.nextInt(namespaceNames.size())), "np" + i, addresses));
        }
        return new Generated(new PolicyCluster(namespaces, endpoints, policies), unowned);
    }

    private int freshPodIp(final Set<Integer> used)
    {
        int ip;
        do
        {
            ip = podNetwork | (random.nextInt(0, 4) << 8) | random.nextInt(1, 255);
        }
        while (!used.add(ip));
        return ip;
    }

    private PolicyEndpoint pod(final String namespace, final String name, final int ip)
    {
        return new PolicyEndpoint(PolicyEndpoint.Kind.POD, namespace, name, ip, labels(POD_KEYS, POD_VALUES),
            namedPorts());
    }

    private Map<String, String> labels(final String[] keys, final String[] values)
    {
        final Map<String, String> labels = new LinkedHashMap<>();
        for (final String key : keys)
        {
            if (random.nextInt(10) < 6)
            {
                labels.put(key, values[random.nextInt(values.length)]);
            }
        }
        return labels;
    }

    private List<NamedPort> namedPorts()
    {
        final List<NamedPort> ports = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        for (int i = random.nextInt(0, 4); i > 0; i--)
        {
            String name = random.nextInt(5) == 0 ? null : PORT_NAMES[random.nextInt(PORT_NAMES.length)];
            if (name != null && !names.add(name))
            {
                name = null;
            }
            ports.add(new NamedPort(name, PORTED[random.nextInt(PORTED.length)],
                PORT_NUMBERS[random.nextInt(PORT_NUMBERS.length)]));
        }
        return ports;
    }

    private NetworkPolicy policy(final String namespace, final String name, final List<Integer> addresses)
    {
        final LabelSelector podSelector = selector(POD_KEYS, POD_VALUES);
        final List<PolicyRule> ingress = rules(addresses);
        final List<PolicyRule> egress = rules(addresses);
        final Set<PolicyType> types = switch (random.nextInt(5))
        {
            // policyTypes absent: the API server's default.
            case 0, 1 -> egress.isEmpty() ? EnumSet.of(PolicyType.INGRESS) : EnumSet.allOf(PolicyType.class);
            case 2 -> EnumSet.of(PolicyType.INGRESS);
            case 3 -> EnumSet.of(PolicyType.EGRESS);
            default -> EnumSet.allOf(PolicyType.class);
        };
        return new NetworkPolicy(namespace, name, podSelector, types, ingress, egress);
    }

    private List<PolicyRule> rules(final List<Integer> addresses)
    {
        final List<PolicyRule> rules = new ArrayList<>();
        for (int i = random.nextInt(0, 4); i > 0; i--)
        {
            final List<PolicyPeer> peers = new ArrayList<>();
            if (random.nextInt(4) != 0)
            {
                for (int p = random.nextInt(1, 4); p > 0; p--)
                {
                    peers.add(peer(addresses));
                }
            }
            final List<PolicyPort> ports = new ArrayList<>();
            if (random.nextInt(5) >= 2)
            {
                for (int p = random.nextInt(1, 4); p > 0; p--)
                {
                    ports.add(port());
                }
            }
            rules.add(new PolicyRule(peers, ports));
        }
        return rules;
    }

    private PolicyPeer peer(final List<Integer> addresses)
    {
        return switch (random.nextInt(4))
        {
            case 0 -> new PolicyPeer(selector(POD_KEYS, POD_VALUES), null, null);
            case 1 -> new PolicyPeer(null, selector(NAMESPACE_KEYS, NAMESPACE_VALUES), null);
            case 2 -> new PolicyPeer(selector(POD_KEYS, POD_VALUES), selector(NAMESPACE_KEYS, NAMESPACE_VALUES), null);
            default -> new PolicyPeer(null, null, ipBlock(addresses));
        };
    }

    private IpBlock ipBlock(final List<Integer> addresses)
    {
        final int prefix = PREFIXES[random.nextInt(PREFIXES.length)];
        final int anchor = random.nextInt(5) == 0 ? random.nextInt() : addresses.get(random.nextInt(addresses.size()));
        final Ipv4Cidr cidr = new Ipv4Cidr(anchor & Ipv4Cidr.mask(prefix), prefix);
        final List<Ipv4Cidr> except = new ArrayList<>();
        if (prefix < 32)
        {
            final List<Integer> inside = addresses.stream().filter(cidr::contains).toList();
            for (int i = random.nextInt(0, 3); i > 0; i--)
            {
                final int exceptPrefix = random.nextInt(prefix + 1, 33);
                final int base = !inside.isEmpty() && random.nextInt(4) != 0
                    ? inside.get(random.nextInt(inside.size()))
                    : (int)((cidr.network() & 0xFFFF_FFFFL) + random.nextLong(cidr.size()));
                except.add(new Ipv4Cidr(base & Ipv4Cidr.mask(exceptPrefix), exceptPrefix));
            }
        }
        return new IpBlock(cidr, except);
    }

    private PolicyPort port()
    {
        final IpProtocol protocol = PORTED[random.nextInt(PORTED.length)];
        return switch (random.nextInt(6))
        {
            case 0 -> new PolicyPort(protocol, null, null, null);
            case 1, 2 -> new PolicyPort(protocol, PORT_NUMBERS[random.nextInt(PORT_NUMBERS.length)], null, null);
            case 3 ->
            {
                final int[] range = RANGES[random.nextInt(RANGES.length)];
                yield new PolicyPort(protocol, range[0], null, range[1]);
            }
            default -> new PolicyPort(protocol, null, PORT_NAMES[random.nextInt(PORT_NAMES.length)], null);
        };
    }

    private LabelSelector selector(final String[] keys, final String[] values)
    {
        final int shape = random.nextInt(20);
        if (shape < 5)
        {
            return LabelSelector.EVERYTHING;
        }
        final Map<String, String> matchLabels = new LinkedHashMap<>();
        final List<SelectorRequirement> expressions = new ArrayList<>();
        if (shape < 12 || shape >= 17)
        {
            for (int i = random.nextInt(1, 3); i > 0; i--)
            {
                matchLabels.put(keys[random.nextInt(keys.length)], values[random.nextInt(values.length)]);
            }
        }
        if (shape >= 12)
        {
            for (int i = random.nextInt(1, 3); i > 0; i--)
            {
                expressions.add(requirement(keys, values));
            }
        }
        return new LabelSelector(matchLabels, expressions);
    }

    private SelectorRequirement requirement(final String[] keys, final String[] values)
    {
        final SelectorOperator operator = SelectorOperator.values()[random.nextInt(SelectorOperator.values().length)];
        final List<String> chosen = new ArrayList<>();
        if (operator == SelectorOperator.IN || operator == SelectorOperator.NOT_IN)
        {
            for (int i = random.nextInt(1, 3); i > 0; i--)
            {
                final String value = values[random.nextInt(values.length)];
                if (!chosen.contains(value))
                {
                    chosen.add(value);
                }
            }
        }
        return new SelectorRequirement(keys[random.nextInt(keys.length)], operator, chosen);
    }

    /** Changes to a cluster, for the recompile-after-change properties. */
    static final class Mutator
    {
        private final RandomClusters generator;

        private Mutator(final RandomClusters generator)
        {
            this.generator = generator;
        }

        SplittableRandom random()
        {
            return generator.random;
        }

        Map<String, String> podLabels()
        {
            return generator.labels(POD_KEYS, POD_VALUES);
        }

        Map<String, String> namespaceLabels()
        {
            return generator.labels(NAMESPACE_KEYS, NAMESPACE_VALUES);
        }

        List<NamedPort> ports()
        {
            return generator.namedPorts();
        }

        /** A policy as the generator writes them; its ipBlocks land on {@code addresses}. */
        NetworkPolicy policy(final String namespace, final String name, final List<Integer> addresses)
        {
            return generator.policy(namespace, name, addresses);
        }

        PolicyEndpoint newPod(final String namespace, final String name, final Set<Integer> used, final int network)
        {
            int ip;
            do
            {
                ip = network | (generator.random.nextInt(0, 4) << 8) | generator.random.nextInt(1, 255);
            }
            while (!used.add(ip));
            return generator.pod(namespace, name, ip);
        }
    }
}
