package dev.podswitch.bench.policy;

import dev.podswitch.dataplane.packet.IpProtocol;
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
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A cluster shaped like real ones, for benchmarks: 20 namespaces, apps with a few tiers, pods
 * spread over them, and policies of the common kinds (app isolation with ingress from some apps
 * or namespaces on a port or a range, egress to a tier plus DNS, ipBlocks with excepts). Seeded,
 * so every run and every mechanism sees the same cluster and the same traffic.
 */
public final class SyntheticPolicyCluster
{
    private static final int NAMESPACES = 20;
    private static final int APPS = 200;
    private static final int[] PORTS = {80, 443, 3306, 5432, 6379, 8080, 9090};

    private SyntheticPolicyCluster()
    {
    }

    public static PolicyCluster generate(final int pods, final int policies, final long seed)
    {
        final Random random = new Random(seed);
        final Map<String, Map<String, String>> namespaces = new LinkedHashMap<>();
        for (int n = 0; n < NAMESPACES; n++)
        {
            namespaces.put("ns" + n, Map.of("team", "t" + (n % 5), "env", n % 2 == 0 ? "prod" : "dev"));
        }
        final List<PolicyEndpoint> endpoints = new ArrayList<>(pods + 4);
        for (int i = 0; i < pods; i++)
        {
            final int app = random.nextInt(APPS);
            final Map<String, String> labels = Map.of("app", "a" + app, "tier", "tier" + random.nextInt(3));
            final int ip = (10 << 24) | (244 << 16) + i + 2;
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.POD, "ns" + (app % NAMESPACES), "p" + i, ip, labels,
                List.of(new NamedPort("http", IpProtocol.TCP, PORTS[app % PORTS.length]))));
        }
        for (int h = 0; h < 4; h++)
        {
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.HOST, null, "host" + h, (192 << 24) | (168 << 16) | h + 10,
                Map.of(), List.of()));
        }
        final List<NetworkPolicy> list = new ArrayList<>(policies);
        for (int p = 0; p < policies; p++)
        {
            list.add(policy(random, p));
        }
        return new PolicyCluster(namespaces, endpoints, list);
    }

    private static NetworkPolicy policy(final Random random, final int index)
    {
        final int app = random.nextInt(APPS);
        final String namespace = "ns" + (app % NAMESPACES);
        final LabelSelector target = new LabelSelector(Map.of("app", "a" + app), List.of());
        final List<PolicyPeer> from = new ArrayList<>();
        from.add(new PolicyPeer(new LabelSelector(Map.of("app", "a" + random.nextInt(APPS)), List.of()), null, null));
        if (random.nextBoolean())
        {
            from.add(new PolicyPeer(null, new LabelSelector(Map.of("team", "t" + random.nextInt(5)), List.of()), null));
        }
        if (random.nextInt(4) == 0)
        {
            from.add(new PolicyPeer(null, null, new IpBlock(Ipv4Cidr.parse("192.168.0.0/16"),
                List.of(Ipv4Cidr.parse("192.168." + random.nextInt(256) + ".0/24")))));
        }
        final int port = PORTS[random.nextInt(PORTS.length)];
        final List<PolicyPort> ports = random.nextInt(5) == 0
            ? List.of(new PolicyPort(IpProtocol.TCP, port, null, port + 100))
            : List.of(new PolicyPort(IpProtocol.TCP, port, null, null), new PolicyPort(IpProtocol.TCP, null, "http", null));
        final List<PolicyRule> ingress = List.of(new PolicyRule(from, ports));
        final EnumSet<PolicyType> types = EnumSet.of(PolicyType.INGRESS);
        List<PolicyRule> egress = List.of();
        if (random.nextInt(3) == 0)
        {
            types.add(PolicyType.EGRESS);
            egress = List.of(
                new PolicyRule(List.of(new PolicyPeer(new LabelSelector(Map.of(), List.of(new SelectorRequirement("tier",
                    SelectorOperator.IN, List.of("tier0", "tier1")))), LabelSelector.EVERYTHING, null)), List.of()),
                new PolicyRule(List.of(), List.of(new PolicyPort(IpProtocol.UDP, 53, null, null))));
        }
        return new NetworkPolicy(namespace, "policy-" + index, target, types, ingress, egress);
    }

    /**
     * One more policy of the same kinds, named {@code name} (for benchmarks that apply a change);
     * different seeds give different policies.
     */
    public static NetworkPolicy policy(final long seed, final String name)
    {
        final NetworkPolicy policy = policy(new Random(seed), 0);
        return new NetworkPolicy(policy.namespace(), name, policy.podSelector(), policy.policyTypes(), policy.ingress(),
            policy.egress());
    }

    /** Random first packets between endpoints of the cluster (pods mostly, some hosts). */
    public static Traffic[] traffic(final PolicyCluster cluster, final int count, final long seed)
    {
        final Random random = new Random(seed);
        final List<PolicyEndpoint> endpoints = cluster.endpoints();
        final Traffic[] traffic = new Traffic[count];
        for (int i = 0; i < count; i++)
        {
            final PolicyEndpoint source = endpoints.get(random.nextInt(endpoints.size()));
            final PolicyEndpoint destination = endpoints.get(random.nextInt(endpoints.size()));
            final int choice = random.nextInt(10);
            traffic[i] = choice == 0 ? Traffic.of(source.ip(), destination.ip(), IpProtocol.ICMP, 0)
                : choice == 1 ? Traffic.of(source.ip(), destination.ip(), IpProtocol.UDP, 53)
                : Traffic.of(source.ip(), destination.ip(), IpProtocol.TCP, PORTS[random.nextInt(PORTS.length)]);
        }
        return traffic;
    }
}
