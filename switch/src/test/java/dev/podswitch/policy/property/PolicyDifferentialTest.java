package dev.podswitch.policy.property;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.Traffic;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import dev.podswitch.policy.reference.RuleMatch;
import dev.podswitch.policy.reference.Verdict;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.podswitch.policy.reference.PolicyFixtures.check;
import static dev.podswitch.policy.reference.PolicyFixtures.checkName;
import static dev.podswitch.policy.reference.PolicyFixtures.describe;
import static dev.podswitch.policy.reference.PolicyFixtures.expectedCheck;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The compiled {@link PolicyTable} against the {@link ReferenceEvaluator} on seeded random
 * clusters: for every ordered pair of endpoints (pods, hosts and one address nobody owns) and every
 * probe, the table's answer must be the reference's, down to which direction denied (egress is
 * judged first). Then metamorphic properties: policy order does not matter, and after relabelling
 * a pod or a namespace, or adding a pod, a fresh compile still agrees with the reference.
 *
 * <p>A failure names the seed and the variant; {@code RandomClusters.generate(seed)} rebuilds the
 * cluster, which the message also prints in full.
 */
class PolicyDifferentialTest
{
    private static final int SEEDS = 3_000;
    private static final int METAMORPHIC_SEEDS = 400;
    private static final long SEED_BASE = 0x9_0_11C7L;

    /** Protocol number and port of each probe. */
    private static final int[][] PROBES = probes();

    private static int[][] probes()
    {
        final List<int[]> probes = new ArrayList<>();
        for (final IpProtocol protocol : List.of(IpProtocol.TCP, IpProtocol.UDP, IpProtocol.SCTP))
        {
            for (final int port : RandomClusters.PROBE_PORTS)
            {
                probes.add(new int[] {protocol.number(), port});
            }
        }
        probes.add(new int[] {IpProtocol.ICMP.number(), 0});
        return probes.toArray(int[][]::new);
    }

    /** What the runs saw, so a report can show the generator reaches every kind of outcome. */
    private static final class Tally
    {
        long clusters;
        long decisions;
        final long[] outcomes = new long[3];
        long byNamedPort;
        long byIpBlock;
        long byEmptyPeers;
        long byPortRange;

        @Override
        public String toString()
        {
            return clusters + " clusters, " + decisions + " decisions: ALLOW " + outcomes[PolicyTable.ALLOW]
                + ", DENY_EGRESS " + outcomes[PolicyTable.DENY_EGRESS] + ", DENY_INGRESS "
                + outcomes[PolicyTable.DENY_INGRESS] + "; isolated directions allowed by a named port " + byNamedPort
                + ", by an ipBlock " + byIpBlock + ", by empty peers " + byEmptyPeers + ", by a port range "
                + byPortRange;
        }
    }

    @Test
    void shouldAgreeWithTheReferenceOnRandomClusters()
    {
        final Tally tally = new Tally();
        for (int i = 0; i < SEEDS; i++)
        {
            final long seed = SEED_BASE + i;
            final RandomClusters.Generated generated = RandomClusters.generate(seed);
            assertAgrees(seed, "as generated", generated.cluster(), generated.unownedIp(), tally);
        }
        System.out.println("[policy differential] " + tally);
        assertTrue(tally.outcomes[PolicyTable.ALLOW] > 0 && tally.outcomes[PolicyTable.DENY_EGRESS] > 0
            && tally.outcomes[PolicyTable.DENY_INGRESS] > 0, "the generator reaches every outcome: " + tally);
        assertTrue(tally.byNamedPort > 0 && tally.byIpBlock > 0 && tally.byEmptyPeers > 0 && tally.byPortRange > 0,
            "the generator exercises every kind of rule: " + tally);
    }

    @Test
    void shouldNotDependOnPolicyOrder()
    {
        for (int i = 0; i < METAMORPHIC_SEEDS; i++)
        {
            final long seed = SEED_BASE + i;
            final RandomClusters.Generated generated = RandomClusters.generate(seed);
            final PolicyCluster cluster = generated.cluster();
            final List<NetworkPolicy> shuffled = new ArrayList<>(cluster.policies());
            Collections.shuffle(shuffled, new Random(seed));
            final PolicyCluster reordered = new PolicyCluster(cluster.namespaceLabels(), cluster.endpoints(), shuffled);
            final PolicyTable table = PolicyCompiler.compile(cluster, 1);
            final PolicyTable reorderedTable = PolicyCompiler.compile(reordered, 2);
            forEachTraffic(cluster, generated.unownedIp(), traffic ->
            {
                final int reference = expectedCheck(ReferenceEvaluator.evaluate(cluster, traffic));
                final int reorderedReference = expectedCheck(ReferenceEvaluator.evaluate(reordered, traffic));
                final int compiled = check(table, traffic);
                final int reorderedCompiled = check(reorderedTable, traffic);
                if (reference != reorderedReference || compiled != reorderedCompiled || reference != compiled)
                {
                    fail("seed " + seed + ": policy order changed a verdict on " + describe(traffic) + ": reference "
                        + checkName(reference) + " -> " + checkName(reorderedReference) + ", compiled "
                        + checkName(compiled) + " -> " + checkName(reorderedCompiled) + "\npolicy order after: "
                        + shuffled.stream().map(NetworkPolicy::key).toList() + "\n" + describe(cluster));
                }
            });
        }
    }

    @Test
    void shouldAgreeAfterRelabellingAPod()
    {
        for (int i = 0; i < METAMORPHIC_SEEDS; i++)
        {
            final long seed = SEED_BASE + i;
            final RandomClusters.Generated generated = RandomClusters.generate(seed);
            final RandomClusters.Mutator mutator = RandomClusters.mutator(seed);
            final PolicyCluster cluster = generated.cluster();
            final List<PolicyEndpoint> endpoints = new ArrayList<>(cluster.endpoints());
            final List<Integer> pods = new ArrayList<>();
            for (int e = 0; e < endpoints.size(); e++)
            {
                if (endpoints.get(e).isPod())
                {
                    pods.add(e);
                }
            }
            final int index = pods.get(mutator.random().nextInt(pods.size()));
            final PolicyEndpoint before = endpoints.get(index);
            final PolicyEndpoint after = new PolicyEndpoint(before.kind(), before.namespace(), before.name(), before.ip(),
                mutator.podLabels(), before.ports());
            endpoints.set(index, after);
            final PolicyCluster changed = new PolicyCluster(cluster.namespaceLabels(), endpoints, cluster.policies());
            assertAgrees(seed, "after relabelling " + after.key() + " " + before.labels() + " -> " + after.labels(),
                changed, generated.unownedIp(), new Tally());
        }
    }

    @Test
    void shouldAgreeAfterRelabellingANamespace()
    {
        for (int i = 0; i < METAMORPHIC_SEEDS; i++)
        {
            final long seed = SEED_BASE + i;
            final RandomClusters.Generated generated = RandomClusters.generate(seed);
            final RandomClusters.Mutator mutator = RandomClusters.mutator(seed);
            final PolicyCluster cluster = generated.cluster();
            final List<String> namespaces = List.copyOf(cluster.namespaceLabels().keySet());
            final String namespace = namespaces.get(mutator.random().nextInt(namespaces.size()));
            final Map<String, Map<String, String>> labels = new LinkedHashMap<>(cluster.namespaceLabels());
            final Map<String, String> before = labels.get(namespace);
            labels.put(namespace, mutator.namespaceLabels());
            final PolicyCluster changed = new PolicyCluster(labels, cluster.endpoints(), cluster.policies());
            assertAgrees(seed, "after relabelling namespace " + namespace + " " + before + " -> " + labels.get(namespace),
                changed, generated.unownedIp(), new Tally());
        }
    }

    @Test
    void shouldAgreeAfterAddingAPod()
    {
        for (int i = 0; i < METAMORPHIC_SEEDS; i++)
        {
            final long seed = SEED_BASE + i;
            final RandomClusters.Generated generated = RandomClusters.generate(seed);
            final RandomClusters.Mutator mutator = RandomClusters.mutator(seed);
            final PolicyCluster cluster = generated.cluster();
            final Set<Integer> used = new HashSet<>();
            cluster.endpoints().forEach(endpoint -> used.add(endpoint.ip()));
            used.add(generated.unownedIp());
            final List<String> namespaces = List.copyOf(cluster.namespaceLabels().keySet());
            final PolicyEndpoint added = mutator.newPod(namespaces.get(mutator.random().nextInt(namespaces.size())),
                "added", used, generated.unownedIp() & 0xFFFF_0000);
            final List<PolicyEndpoint> endpoints = new ArrayList<>(cluster.endpoints());
            endpoints.add(mutator.random().nextInt(endpoints.size() + 1), added);
            final PolicyCluster changed = new PolicyCluster(cluster.namespaceLabels(), endpoints, cluster.policies());
            assertAgrees(seed, "after adding pod " + added.key() + " " + Ipv4.format(added.ip()), changed,
                generated.unownedIp(), new Tally());
        }
    }

    private interface TrafficConsumer
    {
        void accept(Traffic traffic);
    }

    private static void forEachTraffic(final PolicyCluster cluster, final int unownedIp, final TrafficConsumer consumer)
    {
        final int[] addresses = new int[cluster.endpoints().size() + 1];
        for (int i = 0; i < cluster.endpoints().size(); i++)
        {
            addresses[i] = cluster.endpoints().get(i).ip();
        }
        addresses[addresses.length - 1] = unownedIp;
        for (final int source : addresses)
        {
            for (final int destination : addresses)
            {
                for (final int[] probe : PROBES)
                {
                    consumer.accept(new Traffic(source, destination, probe[0], probe[1]));
                }
            }
        }
    }

    private static void assertAgrees(final long seed, final String variant, final PolicyCluster cluster,
        final int unownedIp, final Tally tally)
    {
        final PolicyTable table = PolicyCompiler.compile(cluster, 1);
        tally.clusters++;
        forEachTraffic(cluster, unownedIp, traffic ->
        {
            final Verdict verdict = ReferenceEvaluator.evaluate(cluster, traffic);
            final int expected = expectedCheck(verdict);
            final int actual = check(table, traffic);
            if (expected != actual)
            {
                fail("seed " + seed + " (" + variant + "): " + describe(traffic) + " compiled " + checkName(actual)
                    + ", reference " + checkName(expected) + "\nreference: " + describe(verdict) + "\ncluster:\n"
                    + describe(cluster));
            }
            tally.decisions++;
            tally.outcomes[actual]++;
            countRule(cluster, verdict.egress().isolated() ? verdict.egress().allowedBy() : null, tally);
            countRule(cluster, verdict.ingress().isolated() ? verdict.ingress().allowedBy() : null, tally);
        });
    }

    private static void countRule(final PolicyCluster cluster, final RuleMatch match, final Tally tally)
    {
        if (match == null)
        {
            return;
        }
        for (final NetworkPolicy policy : cluster.policies())
        {
            if (policy.key().equals(match.policy()))
            {
                final PolicyRule rule = (match.field().equals("ingress") ? policy.ingress() : policy.egress())
                    .get(match.rule());
                if (match.peer() < 0)
                {
                    tally.byEmptyPeers++;
                }
                else if (rule.peers().get(match.peer()).ipBlock() != null)
                {
                    tally.byIpBlock++;
                }
                if (match.port() >= 0)
                {
                    if (rule.ports().get(match.port()).portName() != null)
                    {
                        tally.byNamedPort++;
                    }
                    else if (rule.ports().get(match.port()).endPort() != null)
                    {
                        tally.byPortRange++;
                    }
                }
                return;
            }
        }
    }
}
