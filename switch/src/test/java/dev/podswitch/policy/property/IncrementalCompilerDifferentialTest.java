package dev.podswitch.policy.property;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.compile.IncrementalPolicyCompiler;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.Traffic;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.podswitch.policy.reference.PolicyFixtures.check;
import static dev.podswitch.policy.reference.PolicyFixtures.checkName;
import static dev.podswitch.policy.reference.PolicyFixtures.describe;
import static dev.podswitch.policy.reference.PolicyFixtures.expectedCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The {@link IncrementalPolicyCompiler} driven through seeded random sequences of changes —
 * relabel a pod (onto a new or an existing identity), change its ports, move it to another
 * namespace, add or delete a pod, relabel or create a namespace, add, delete or replace a policy,
 * several at once — and after every change its table is compared, on every ordered pair of
 * endpoints (plus one unowned address) and every probe, with a fresh full compile and with the
 * {@link ReferenceEvaluator}. Every snapshot published earlier must still answer as it did: the
 * data plane may hold it while the next one is built.
 *
 * <p>A failure names the seed, the step and the change history.
 */
class IncrementalCompilerDifferentialTest
{
    private static final int SEQUENCES = 300;
    private static final int STEPS = 10;
    private static final long SEED_BASE = 0x1_7C_0DEL;
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

    private enum Change
    {
        RELABEL_POD,
        RELABEL_POD_LIKE_ANOTHER,
        CHANGE_POD_PORTS,
        MOVE_POD_TO_NAMESPACE,
        ADD_POD,
        DELETE_POD,
        RELABEL_NAMESPACE,
        ADD_POLICY,
        DELETE_POLICY,
        REPLACE_POLICY
    }

    @Test
    void shouldAgreeWithAFreshCompileAndTheReferenceAfterEveryChange()
    {
        long decisions = 0;
        final int[] applied = new int[Change.values().length];
        for (int sequence = 0; sequence < SEQUENCES; sequence++)
        {
            final long seed = SEED_BASE + sequence;
            final RandomClusters.Generated generated = RandomClusters.generate(seed);
            final RandomClusters.Mutator mutator = RandomClusters.mutator(seed);
            final IncrementalPolicyCompiler compiler = new IncrementalPolicyCompiler(10);
            final List<String> history = new ArrayList<>();
            PolicyCluster cluster = generated.cluster();
            PolicyTable table = compiler.update(cluster);
            assertEquals(11, table.generation());
            decisions += assertAgrees(seed, history, cluster, table, generated.unownedIp());
            for (int step = 1; step <= STEPS; step++)
            {
                final int[] before = verdicts(cluster, table, generated.unownedIp());
                final PolicyCluster previousCluster = cluster;
                final PolicyTable previousTable = table;
                // Mostly one change per update; sometimes several, as a batch of watch events.
                final int changes = mutator.random().nextInt(4) == 0 ? mutator.random().nextInt(2, 5) : 1;
                for (int c = 0; c < changes; c++)
                {
                    final Change change = Change.values()[mutator.random().nextInt(Change.values().length)];
                    applied[change.ordinal()]++;
                    cluster = apply(change, cluster, mutator, generated.unownedIp(), history);
                }
                table = compiler.update(cluster);
                assertEquals(11 + step, table.generation(), "one generation per update");
                decisions += assertAgrees(seed, history, cluster, table, generated.unownedIp());
                final int[] after = verdicts(previousCluster, previousTable, generated.unownedIp());
                if (!java.util.Arrays.equals(before, after))
                {
                    fail("seed " + seed + ": a published table changed when the next was compiled; history "
                        + history);
                }
            }
        }
        System.out.println("[incremental differential] " + SEQUENCES + " sequences, " + decisions
            + " decisions; changes " + changeCounts(applied));
        for (final int count : applied)
        {
            assertTrue(count > 0, "every kind of change is exercised: " + changeCounts(applied));
        }
    }

    private static String changeCounts(final int[] applied)
    {
        final Map<Change, Integer> counts = new LinkedHashMap<>();
        for (final Change change : Change.values())
        {
            counts.put(change, applied[change.ordinal()]);
        }
        return counts.toString();
    }

    private static PolicyCluster apply(final Change change, final PolicyCluster cluster,
        final RandomClusters.Mutator mutator, final int unownedIp, final List<String> history)
    {
        final SplittableRandom random = mutator.random();
        final Map<String, Map<String, String>> namespaces = new LinkedHashMap<>(cluster.namespaceLabels());
        final List<PolicyEndpoint> endpoints = new ArrayList<>(cluster.endpoints());
        final List<NetworkPolicy> policies = new ArrayList<>(cluster.policies());
        final List<Integer> pods = new ArrayList<>();
        for (int e = 0; e < endpoints.size(); e++)
        {
            if (endpoints.get(e).isPod())
            {
                pods.add(e);
            }
        }
        final List<String> namespaceNames = List.copyOf(namespaces.keySet());
        final String someNamespace = namespaceNames.get(random.nextInt(namespaceNames.size()));
        switch (change)
        {
            case RELABEL_POD, RELABEL_POD_LIKE_ANOTHER, CHANGE_POD_PORTS, MOVE_POD_TO_NAMESPACE ->
            {
                if (pods.isEmpty())
                {
                    return cluster;
                }
                final int index = pods.get(random.nextInt(pods.size()));
                final PolicyEndpoint pod = endpoints.get(index);
                final PolicyEndpoint other = endpoints.get(pods.get(random.nextInt(pods.size())));
                final PolicyEndpoint after = switch (change)
                {
                    case RELABEL_POD -> withLabels(pod, pod.namespace(), mutator.podLabels(), pod.ports());
                    case RELABEL_POD_LIKE_ANOTHER -> withLabels(pod, other.namespace(), other.labels(), pod.ports());
                    case CHANGE_POD_PORTS -> withLabels(pod, pod.namespace(), pod.labels(), mutator.ports());
                    default -> withLabels(pod, someNamespace, pod.labels(), pod.ports());
                };
                endpoints.set(index, after);
                history.add(change + " " + pod.key() + " -> " + after.key() + " " + after.labels() + " "
                    + after.ports());
            }
            case ADD_POD ->
            {
                final Set<Integer> used = new HashSet<>();
                endpoints.forEach(endpoint -> used.add(endpoint.ip()));
                used.add(unownedIp);
                final PolicyEndpoint added = mutator.newPod(someNamespace, "added" + history.size(), used,
                    unownedIp & 0xFFFF_0000);
                endpoints.add(random.nextInt(endpoints.size() + 1), added);
                history.add(change + " " + added.key() + " " + added.labels() + " " + added.ports());
            }
            case DELETE_POD ->
            {
                if (pods.isEmpty())
                {
                    return cluster;
                }
                final PolicyEndpoint removed = endpoints.remove((int)pods.get(random.nextInt(pods.size())));
                history.add(change + " " + removed.key());
            }
            case RELABEL_NAMESPACE ->
            {
                // Sometimes a namespace no pod lives in yet, so later pods can land there.
                final String namespace = RandomClusters.NAMESPACES[random.nextInt(RandomClusters.NAMESPACES.length)];
                namespaces.put(namespace, mutator.namespaceLabels());
                history.add(change + " " + namespace + " " + namespaces.get(namespace));
            }
            case ADD_POLICY, REPLACE_POLICY ->
            {
                final List<Integer> addresses = new ArrayList<>();
                endpoints.forEach(endpoint -> addresses.add(endpoint.ip()));
                addresses.add(unownedIp);
                if (change == Change.REPLACE_POLICY && !policies.isEmpty())
                {
                    final int index = random.nextInt(policies.size());
                    final NetworkPolicy old = policies.get(index);
                    policies.set(index, mutator.policy(old.namespace(), old.name(), addresses));
                    history.add(change + " " + old.key());
                }
                else
                {
                    final NetworkPolicy added = mutator.policy(someNamespace, "added" + history.size(), addresses);
                    policies.add(random.nextInt(policies.size() + 1), added);
                    history.add(change + " " + added.key());
                }
            }
            case DELETE_POLICY ->
            {
                if (policies.isEmpty())
                {
                    return cluster;
                }
                history.add(change + " " + policies.remove(random.nextInt(policies.size())).key());
            }
        }
        return new PolicyCluster(namespaces, endpoints, policies);
    }

    private static PolicyEndpoint withLabels(final PolicyEndpoint pod, final String namespace,
        final Map<String, String> labels, final List<dev.podswitch.policy.model.NamedPort> ports)
    {
        return new PolicyEndpoint(pod.kind(), namespace, pod.name(), pod.ip(), labels, ports);
    }

    private static int[] addresses(final PolicyCluster cluster, final int unownedIp)
    {
        final int[] addresses = new int[cluster.endpoints().size() + 1];
        for (int i = 0; i < cluster.endpoints().size(); i++)
        {
            addresses[i] = cluster.endpoints().get(i).ip();
        }
        addresses[addresses.length - 1] = unownedIp;
        return addresses;
    }

    private static int[] verdicts(final PolicyCluster cluster, final PolicyTable table, final int unownedIp)
    {
        final int[] addresses = addresses(cluster, unownedIp);
        final int[] verdicts = new int[addresses.length * addresses.length * PROBES.length];
        int i = 0;
        for (final int source : addresses)
        {
            for (final int destination : addresses)
            {
                for (final int[] probe : PROBES)
                {
                    verdicts[i++] = table.check(source, destination, probe[0], probe[1], true, true);
                }
            }
        }
        return verdicts;
    }

    private static long assertAgrees(final long seed, final List<String> history, final PolicyCluster cluster,
        final PolicyTable incremental, final int unownedIp)
    {
        final PolicyTable fresh = PolicyCompiler.compile(cluster, 1);
        long decisions = 0;
        for (final int source : addresses(cluster, unownedIp))
        {
            for (final int destination : addresses(cluster, unownedIp))
            {
                for (final int[] probe : PROBES)
                {
                    final Traffic traffic = new Traffic(source, destination, probe[0], probe[1]);
                    final int expected = expectedCheck(ReferenceEvaluator.evaluate(cluster, traffic));
                    final int full = check(fresh, traffic);
                    final int actual = check(incremental, traffic);
                    if (expected != actual || full != actual)
                    {
                        fail("seed " + seed + " after " + history + ": " + describe(traffic) + " incremental "
                            + checkName(actual) + ", fresh compile " + checkName(full) + ", reference "
                            + checkName(expected) + "\nreference: "
                            + describe(ReferenceEvaluator.evaluate(cluster, traffic)) + "\ncluster:\n"
                            + describe(cluster));
                    }
                    decisions++;
                }
            }
        }
        return decisions;
    }
}
