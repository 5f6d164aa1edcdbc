package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The datastore's cluster decoded from one listing (or a listing and the watch events after it):
 * the config, each node's subnet lease, pods, namespaces and policies, and every key that did not
 * decode, with why. Immutable.
 *
 * @param nodes    by node name.
 * @param pods     by {@code namespace/name}.
 * @param policies the manifests by {@code namespace/name}.
 * @param problems keys skipped because their value is not what the layout says, each with why.
 */
public record ClusterState(long revision, ClusterConfig config, Map<String, SubnetLease> nodes, Map<String, PodRecord> pods,
    Map<String, Map<String, String>> namespaces, Map<String, Map<String, Object>> policies, Map<String, Datastore.Entry> raw,
    List<String> problems)
{
    public ClusterState
    {
        nodes = Collections.unmodifiableMap(new TreeMap<>(nodes));
        pods = Collections.unmodifiableMap(new TreeMap<>(pods));
        namespaces = Collections.unmodifiableMap(new TreeMap<>(namespaces));
        policies = Collections.unmodifiableMap(new TreeMap<>(policies));
        raw = Map.copyOf(raw);
        problems = List.copyOf(problems);
    }

    public static ClusterState decode(final DatastoreKeys keys, final long revision, final Map<String, Datastore.Entry> entries)
    {
        ClusterConfig config = null;
        final Map<String, SubnetLease> nodes = new LinkedHashMap<>();
        final Map<String, PodRecord> pods = new LinkedHashMap<>();
        final Map<String, Map<String, String>> namespaces = new LinkedHashMap<>();
        final Map<String, Map<String, Object>> policies = new LinkedHashMap<>();
        final List<String> problems = new ArrayList<>();
        for (final Datastore.Entry entry : new TreeMap<>(entries).values())
        {
            final String key = entry.key();
            if (!key.startsWith(keys.prefix()))
            {
                continue;
            }
            final String tail = key.substring(keys.prefix().length());
            try
            {
                if (tail.equals(DatastoreKeys.CONFIG))
                {
                    config = Records.config(key, entry.value());
                }
                else if (tail.startsWith(DatastoreKeys.SUBNETS))
                {
                    final Ipv4Cidr subnet = DatastoreKeys.subnetOf(tail.substring(DatastoreKeys.SUBNETS.length()));
                    if (subnet == null)
                    {
                        throw new Records.Invalid(key, "the key does not name a subnet like 10.244.1.0-24");
                    }
                    final SubnetLease lease = Records.subnet(key, subnet, entry.value(), entry.lease());
                    final SubnetLease other = nodes.putIfAbsent(lease.node(), lease);
                    if (other != null)
                    {
                        throw new Records.Invalid(key, "node " + lease.node() + " already holds " + other.subnet()
                            + "; this second subnet is ignored");
                    }
                }
                else if (tail.startsWith(DatastoreKeys.PODS))
                {
                    final PodRecord pod = Records.pod(key, entry.value());
                    if (!tail.equals(DatastoreKeys.PODS + pod.key()))
                    {
                        throw new Records.Invalid(key, "the record names pod " + pod.key() + ", not the key's");
                    }
                    pods.put(pod.key(), pod);
                }
                else if (tail.startsWith(DatastoreKeys.NAMESPACES))
                {
                    namespaces.put(tail.substring(DatastoreKeys.NAMESPACES.length()),
                        Records.namespaceLabels(key, entry.value()));
                }
                else if (tail.startsWith(DatastoreKeys.POLICIES))
                {
                    final String policyKey = tail.substring(DatastoreKeys.POLICIES.length());
                    final Map<String, Object> manifest = Records.object(key, entry.value());
                    final String named = Records.policyKey(manifest);
                    if (!policyKey.equals(named))
                    {
                        throw new Records.Invalid(key, "the manifest names networkpolicy " + named + ", not the key's");
                    }
                    policies.put(policyKey, manifest);
                }
            }
            catch (final Records.Invalid invalid)
            {
                problems.add(invalid.getMessage());
            }
        }
        return new ClusterState(revision, config, nodes, pods, namespaces, policies, entries, problems);
    }

    /**
     * Whether {@code pod} is one the cluster routes: its node holds a lease and its IP is in that
     * node's subnet (a record claiming another node's address is a hand edit, never believed).
     */
    public boolean holdsAddress(final PodRecord pod)
    {
        final SubnetLease lease = nodes.get(pod.node());
        return lease != null && lease.subnet().contains(pod.ip());
    }

    /** The node holding {@code subnet}, or null. */
    public SubnetLease holderOf(final Ipv4Cidr subnet)
    {
        for (final SubnetLease lease : nodes.values())
        {
            if (lease.subnet().equals(subnet))
            {
                return lease;
            }
        }
        return null;
    }
}
