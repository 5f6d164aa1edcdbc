package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.util.IntHashMap;

import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Compiles a stream of {@link PolicyCluster} snapshots into {@link PolicyTable}s, redoing only what
 * changed since the previous snapshot (Cilium's selector cache and identity-keyed policy, in
 * miniature). Owned by one control-plane thread; each {@link #update} returns an immutable table
 * for the data plane to pick up with one atomic reference read. Tables published earlier are never
 * modified: a change copies the peer sets, port rules and IP map it touches and shares the rest.
 *
 * <p>The model, bottom up:
 * <ul>
 * <li><b>Identities</b>: pods with the same namespace and labels (the tables never tell them apart).</li>
 * <li><b>Selectors</b>: every distinct selection in use — a policy's podSelector and each peer's
 *     podSelector/namespaceSelector — numbered. Each identity holds the bitset of selectors it
 *     matches and each selector the bitset of identities it matches; each pair is evaluated once,
 *     when the later of the two appears.</li>
 * <li><b>Tables</b>: per identity and direction (ingress also per container-port list when it has
 *     named ports), the union of the rules of the policies whose podSelector the identity matches.
 *     Peer sets are identity bitsets, so a lookup is a bit test whatever the number of policies,
 *     and remember their selector ids, so a new identity is patched in by testing those ids against
 *     its selector bitset — no selector is re-run and no table recompiled.</li>
 * </ul>
 *
 * <p>What each change costs:
 * <ul>
 * <li>pod added, removed or relabelled onto an existing identity: its IP entry only;</li>
 * <li>a new identity: its selectors evaluated once, its own tables built, and every other table
 *     patched for its number (copy-on-write);</li>
 * <li>namespace relabelled: selector matches recomputed for that namespace's identities, then the
 *     same patch;</li>
 * <li>policy added, deleted or replaced: its new selectors evaluated once, and the tables rebuilt
 *     of the identities it selects (before and after);</li>
 * <li>egress tables with named ports (rare) are rebuilt on any pod or namespace change, see
 *     {@link TableBuilder}.</li>
 * </ul>
 * Plus O(pods) reference copies for the IP map of every snapshot.
 */
public final class IncrementalPolicyCompiler
{
    private final Identities identities = new Identities();
    private Map<String, Map<String, String>> namespaceLabels = Map.of();
    private final Selectors selectors = new Selectors(identities, this::labelsOfNamespace);
    private Map<Integer, TableBuilder.Pod> podByIp = new LinkedHashMap<>();
    private final TableBuilder tables = new TableBuilder(selectors, new PodsView());
    private Map<String, CompiledPolicy> policyByKey = new HashMap<>();
    private IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(1);
    private long generation;

    /** The tables this compiler returns are numbered from {@code previousGeneration + 1}. */
    public IncrementalPolicyCompiler(final long previousGeneration)
    {
        this.generation = previousGeneration;
    }

    public IncrementalPolicyCompiler()
    {
        this(0);
    }

    /** How many identities the last snapshot compiled to. */
    public int identityCount()
    {
        return identities.count();
    }

    private Map<String, String> labelsOfNamespace(final String namespace)
    {
        return namespaceLabels.getOrDefault(namespace, Map.of());
    }

    /** The tables for {@code next}, from what changed since the previous call; the generation goes up by one. */
    public PolicyTable update(final PolicyCluster next)
    {
        generation++;
        tables.startUpdate();
        final Set<String> relabelledNamespaces = diffNamespaces(next.namespaceLabels());
        namespaceLabels = next.namespaceLabels();
        final Set<Identity> rebuild = new HashSet<>();

        final Map<String, NetworkPolicy> nextPolicies = policiesByKey(next.policies());
        final List<Map.Entry<String, NetworkPolicy>> added = new ArrayList<>();
        final Map<String, CompiledPolicy> keptPolicies = new HashMap<>(nextPolicies.size() * 2);
        for (final Map.Entry<String, CompiledPolicy> entry : policyByKey.entrySet())
        {
            final NetworkPolicy now = nextPolicies.get(entry.getKey());
            final CompiledPolicy before = entry.getValue();
            if (now == before.policy || before.policy.equals(now))
            {
                keptPolicies.put(entry.getKey(), before);
                continue;
            }
            addSelected(before.subject, rebuild);
            before.release(selectors);
        }
        for (final Map.Entry<String, NetworkPolicy> entry : nextPolicies.entrySet())
        {
            if (!keptPolicies.containsKey(entry.getKey()))
            {
                added.add(entry);
            }
        }

        final Set<Identity> created = new LinkedHashSet<>();
        final boolean podsChanged = updatePods(next.endpoints(), created);
        rebuild.removeIf(identity -> identity.pods == 0);
        rebuild.addAll(created);

        // Identities whose selector matches changed; new ones were matched with the new labels already.
        final List<Identity> patch = new ArrayList<>(created);
        for (final String namespace : relabelledNamespaces)
        {
            for (final Identity identity : identities.inNamespace(namespace))
            {
                if (!created.contains(identity) && selectors.assign(identity, selectors.matching(identity)))
                {
                    patch.add(identity);
                }
            }
        }

        for (final Map.Entry<String, NetworkPolicy> entry : added)
        {
            final CompiledPolicy compiled = new CompiledPolicy(entry.getValue(), selectors);
            keptPolicies.put(entry.getKey(), compiled);
            addSelected(compiled.subject, rebuild);
        }
        policyByKey = keptPolicies;

        patchTables(patch, rebuild);
        for (final Identity identity : rebuild)
        {
            tables.build(identity);
        }
        if (podsChanged || !patch.isEmpty())
        {
            for (final Identity identity : identities.all())
            {
                if (identity.egressUsesNamedPorts && !rebuild.contains(identity))
                {
                    tables.rebuildEgress(identity);
                }
            }
        }
        rulesByIp = rulesByIp(rebuild.isEmpty() && patch.isEmpty() && !podsChanged);
        return new PolicyTable(generation, rulesByIp);
    }

    private Set<String> diffNamespaces(final Map<String, Map<String, String>> next)
    {
        final Set<String> changed = new HashSet<>();
        for (final Map.Entry<String, Map<String, String>> entry : next.entrySet())
        {
            if (!entry.getValue().equals(labelsOfNamespace(entry.getKey())))
            {
                changed.add(entry.getKey());
            }
        }
        for (final String namespace : namespaceLabels.keySet())
        {
            if (!next.containsKey(namespace) && !namespaceLabels.get(namespace).isEmpty())
            {
                changed.add(namespace);
            }
        }
        return changed;
    }

    /** Policies by key; a key listed twice (no API server allows it) keeps both, as the reference does. */
    private static Map<String, NetworkPolicy> policiesByKey(final List<NetworkPolicy> policies)
    {
        final Map<String, NetworkPolicy> byKey = new LinkedHashMap<>(policies.size() * 2);
        for (final NetworkPolicy policy : policies)
        {
            byKey.put(keyOf(policy, byKey), policy);
        }
        return byKey;
    }

    private static String keyOf(final NetworkPolicy policy, final Map<String, ?> taken)
    {
        final String key = policy.key();
        if (!taken.containsKey(key))
        {
            return key;
        }
        int copy = 1;
        while (taken.containsKey(key + "#" + copy))
        {
            copy++;
        }
        return key + "#" + copy;
    }

    private void addSelected(final Selector subject, final Set<Identity> into)
    {
        for (int n = subject.identities.nextSetBit(0); n >= 0; n = subject.identities.nextSetBit(n + 1))
        {
            into.add(identities.byNumber(n));
        }
    }

    /**
     * Moves pods between identities; identities created on the way join {@code created}. Hosts are
     * not tracked: only ipBlocks match them, by address, and they have no policies of their own.
     *
     * @return whether any pod came, went, or changed namespace, labels or ports
     */
    private boolean updatePods(final List<PolicyEndpoint> endpoints, final Set<Identity> created)
    {
        final Map<Integer, TableBuilder.Pod> nextPods = new LinkedHashMap<>(endpoints.size() * 2);
        boolean changed = false;
        for (final PolicyEndpoint endpoint : endpoints)
        {
            if (!endpoint.isPod())
            {
                continue;
            }
            final TableBuilder.Pod before = podByIp.get(endpoint.ip());
            if (before != null && !nextPods.containsKey(endpoint.ip())
                && (before.endpoint == endpoint || sameForPolicy(before.endpoint, endpoint)))
            {
                before.endpoint = endpoint;
                nextPods.put(endpoint.ip(), before);
                continue;
            }
            changed = true;
            final TableBuilder.Pod pod = new TableBuilder.Pod(endpoint, identityOf(endpoint, created));
            pod.identity.pods++;
            final TableBuilder.Pod replaced = nextPods.put(endpoint.ip(), pod);
            if (replaced != null && replaced != before)
            {
                replaced.identity.pods--; // an address listed twice: the last wins, as it always has
            }
        }
        final Set<Identity> emptied = new LinkedHashSet<>();
        for (final Map.Entry<Integer, TableBuilder.Pod> entry : podByIp.entrySet())
        {
            final TableBuilder.Pod pod = entry.getValue();
            if (nextPods.get(entry.getKey()) != pod)
            {
                changed = true;
                if (--pod.identity.pods == 0)
                {
                    emptied.add(pod.identity);
                }
            }
        }
        for (final Identity identity : created)
        {
            if (identity.pods == 0)
            {
                emptied.add(identity);
            }
        }
        podByIp = nextPods;
        for (final Identity identity : emptied)
        {
            if (identity.pods == 0)
            {
                selectors.forget(identity);
                identities.remove(identity);
                created.remove(identity);
            }
        }
        return changed;
    }

    private static boolean sameForPolicy(final PolicyEndpoint before, final PolicyEndpoint now)
    {
        return Objects.equals(before.namespace(), now.namespace()) && before.labels().equals(now.labels())
            && before.ports().equals(now.ports());
    }

    private Identity identityOf(final PolicyEndpoint pod, final Set<Identity> created)
    {
        final Identity existing = identities.find(pod.namespace(), pod.labels());
        if (existing != null)
        {
            return existing;
        }
        final Identity identity = identities.create(pod.namespace(), pod.labels());
        selectors.assign(identity, selectors.matching(identity));
        created.add(identity);
        return identity;
    }

    /**
     * Patches every table that is not being rebuilt for the identities that are new or whose
     * selector matches changed: their number (perhaps a recycled one) must be set or cleared in
     * every peer set whose selectors they match or no longer match. Tables being rebuilt need no
     * patch, and only they can mention a selector created or recycled in this update.
     */
    private void patchTables(final List<Identity> changed, final Set<Identity> rebuild)
    {
        if (changed.isEmpty())
        {
            return;
        }
        final int[] numbers = new int[changed.size()];
        final long[][] matches = new long[changed.size()][];
        for (int i = 0; i < numbers.length; i++)
        {
            numbers[i] = changed.get(i).number;
            matches[i] = changed.get(i).selectors.toLongArray();
        }
        for (final Identity identity : identities.all())
        {
            if (!rebuild.contains(identity))
            {
                identity.patchTables(numbers, matches);
            }
        }
    }

    /** The IP map of the new snapshot: unchanged entries are reused, and so is the whole map when nothing moved. */
    private IntHashMap<PolicyTable.EndpointRules> rulesByIp(final boolean unchanged)
    {
        if (unchanged)
        {
            return rulesByIp;
        }
        final IntHashMap<PolicyTable.EndpointRules> map = new IntHashMap<>(Math.max(1, podByIp.size()));
        for (final TableBuilder.Pod pod : podByIp.values())
        {
            final Identity identity = pod.identity;
            final DirectionRules ingress = tables.ingressFor(identity, pod.endpoint.ports());
            final PolicyTable.EndpointRules before = rulesByIp.get(pod.endpoint.ip());
            map.put(pod.endpoint.ip(), before != null && before.identity() == identity.number
                && before.ingress() == ingress && before.egress() == identity.egress
                ? before : new PolicyTable.EndpointRules(identity.number, ingress, identity.egress));
        }
        return map;
    }

    /** The pods, as the table builder iterates them for egress named ports. */
    private final class PodsView extends AbstractCollection<TableBuilder.Pod>
    {
        @Override
        public Iterator<TableBuilder.Pod> iterator()
        {
            return podByIp.values().iterator();
        }

        @Override
        public int size()
        {
            return podByIp.size();
        }
    }
}
