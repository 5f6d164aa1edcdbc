package dev.podswitch.agent.multihost;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ExternalNode;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.LabelEdit;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Namespace;
import dev.podswitch.control.model.Pod;
import dev.podswitch.control.model.StoredPolicy;
import dev.podswitch.datastore.ClusterState;
import dev.podswitch.datastore.DatastoreWatcher;
import dev.podswitch.datastore.PodRecord;
import dev.podswitch.datastore.SubnetLease;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Brings each state the datastore watch delivers into this host: namespaces, NetworkPolicies,
 * other nodes' pods and every pod's labels go through the model's one apply path (validated,
 * journalled, compiled incrementally, published); other nodes' subnets become VXLAN routes to
 * their underlay addresses. It diffs the whole state each time, so a first listing, a relist
 * after compaction and a single event are the same code.
 *
 * <p>What this host runs is its own: a pod on this node exists because the CNI runtime said so,
 * and only its labels follow the datastore. A change the model refuses (a hand-edited record in
 * etcd) is skipped and counted, never a reason to drop the rest.
 */
final class RemoteReconciler implements DatastoreWatcher.Listener
{
    private final String localNode;
    private final ClusterModel model;
    private final ClusterDataplane dataplane;
    private final MultiHostNode.Driver driver;
    private final Consumer<String> log;
    private volatile ClusterState last;
    private volatile long refused;
    /** Refusals logged for the last state: the same refusal is logged once, not at every state. */
    private java.util.Set<String> refusedBefore = java.util.Set.of();
    private java.util.Set<String> refusedNow = new java.util.HashSet<>();
    private final Runnable ownLeaseMissing;

    /** @param ownLeaseMissing told when the datastore no longer holds this node's subnet (etcd lost it). */
    RemoteReconciler(final String localNode, final ClusterModel model, final ClusterDataplane dataplane,
        final MultiHostNode.Driver driver, final Consumer<String> log, final Runnable ownLeaseMissing)
    {
        this.ownLeaseMissing = ownLeaseMissing;
        this.localNode = localNode;
        this.model = model;
        this.dataplane = dataplane;
        this.driver = driver;
        this.log = log;
    }

    /** The last state brought in, or null before the first. */
    ClusterState last()
    {
        return last;
    }

    /** Changes from the datastore the model refused (each logged once with why). */
    long refusedCount()
    {
        return refused;
    }

    @Override
    public boolean onState(final ClusterState state)
    {
        final ClusterState previous = last;
        if (previous == null || !previous.problems().equals(state.problems()))
        {
            state.problems().forEach(problem -> log.accept("etcd: skipped " + problem));
        }
        driver.run(() -> routeNodes(state));
        final boolean kept = applyAll(changes(state, model.snapshot()));
        refusedBefore = refusedNow;
        refusedNow = new java.util.HashSet<>();
        last = state;
        if (!state.nodes().containsKey(localNode))
        {
            ownLeaseMissing.run();
        }
        return kept;
    }

    /** Every other node's subnet routed to its underlay address; nodes gone from the datastore unrouted. */
    private void routeNodes(final ClusterState state)
    {
        for (final ExternalNode routed : List.copyOf(dataplane.externalNodes().values()))
        {
            final SubnetLease lease = state.nodes().get(routed.name());
            if (lease == null || !matches(routed, lease))
            {
                dataplane.removeExternalNode(routed.name());
                log.accept("node " + routed.name() + " (" + routed.podCidr() + ") "
                    + (lease == null ? "left the cluster: its lease is gone" : "moved") + "; route removed");
            }
        }
        for (final SubnetLease lease : state.nodes().values())
        {
            if (lease.node().equals(localNode) || dataplane.externalNodes().containsKey(lease.node()))
            {
                continue;
            }
            try
            {
                dataplane.addExternalNode(lease.node(), lease.subnet(), lease.underlayAddress(), lease.vtepMac());
                log.accept("node " + lease.node() + " joined: " + lease.subnet() + " via " + lease.underlayText());
            }
            catch (final IllegalArgumentException clash)
            {
                final String why = "node " + lease.node() + " not routed: " + clash.getMessage();
                refusedNow.add(why);
                if (!refusedBefore.contains(why))
                {
                    refused++;
                    log.accept(why);
                }
            }
        }
    }

    private static boolean matches(final ExternalNode routed, final SubnetLease lease)
    {
        return routed.podCidr().equals(lease.subnet()) && routed.vtepIp() == lease.underlayAddress()
            && routed.gatewayMac() == lease.vtepMac();
    }

    /** What the model needs to match the datastore (for what the datastore owns). */
    private List<ClusterChange> changes(final ClusterState state, final ModelSnapshot model)
    {
        final List<ClusterChange> changes = new ArrayList<>();
        state.namespaces().forEach((name, labels) ->
        {
            final Namespace have = model.namespaces().get(name);
            if (have == null || !have.labels().equals(withMetadataName(name, labels)))
            {
                changes.add(new ClusterChange.PutNamespace(name, labels));
            }
        });
        for (final StoredPolicy stored : model.policies().values())
        {
            final String key = stored.policy().key();
            if (!state.policies().containsKey(key))
            {
                changes.add(new ClusterChange.DeleteNetworkPolicy(key));
            }
        }
        state.policies().forEach((key, manifest) ->
        {
            final StoredPolicy have = model.policies().get(key);
            if (have == null || !have.manifest().equals(manifest))
            {
                changes.add(new ClusterChange.ApplyNetworkPolicy(manifest));
            }
        });
        for (final Pod pod : model.pods().values())
        {
            final PodRecord record = state.pods().get(pod.key());
            final boolean remote = !Objects.equals(pod.node(), localNode) && pod.attachment() == null;
            if (remote && (record == null || !sameAddress(pod, record) || !state.holdsAddress(record)))
            {
                changes.add(new ClusterChange.RemovePod(pod.key()));
            }
        }
        for (final PodRecord record : state.pods().values())
        {
            final Pod have = model.pods().get(record.key());
            final boolean local = record.node().equals(localNode);
            if (have == null || (!local && !sameAddress(have, record)))
            {
                if (!local && state.holdsAddress(record))
                {
                    changes.add(new ClusterChange.AddPod(new Pod(record.namespace(), record.name(), record.node(), record.ip(),
                        record.labels(), List.of(), null)));
                }
                continue;
            }
            if (!have.labels().equals(record.labels()) && (!local || have.ip() == record.ip()))
            {
                changes.add(new ClusterChange.LabelPod(record.key(), LabelEdit.replace(record.labels())));
            }
        }
        return changes;
    }

    private static Map<String, String> withMetadataName(final String name, final Map<String, String> labels)
    {
        final java.util.LinkedHashMap<String, String> all = new java.util.LinkedHashMap<>(labels);
        all.put(Namespace.METADATA_NAME_LABEL, name);
        return all;
    }

    private static boolean sameAddress(final Pod pod, final PodRecord record)
    {
        return pod.ip() == record.ip() && Objects.equals(pod.node(), record.node());
    }

    /**
     * All at once when the model takes them; else one by one, skipping (and logging) what it refuses.
     *
     * @return false when a change could not be kept (the state directory failed): the state is not in force.
     */
    private boolean applyAll(final List<ClusterChange> changes)
    {
        if (changes.isEmpty())
        {
            return true;
        }
        try
        {
            model.apply(changes);
            return true;
        }
        catch (final ModelException refusedOne)
        {
            // Fall through: apply each alone, so one bad record does not hold back the rest.
        }
        catch (final IOException notKept)
        {
            log.accept("etcd: " + changes.size() + " change(s) not applied, the state directory could not keep them: "
                + notKept.getMessage() + "; retrying");
            return false;
        }
        boolean kept = true;
        for (final ClusterChange change : changes)
        {
            try
            {
                model.apply(change);
            }
            catch (final ModelException refusedChange)
            {
                final String why = change.describe() + " refused: " + refusedChange.getMessage();
                refusedNow.add(why);
                if (!refusedBefore.contains(why))
                {
                    refused++;
                    log.accept("etcd: " + why);
                }
            }
            catch (final IOException notKept)
            {
                log.accept("etcd: " + change.describe() + " not kept: " + notKept.getMessage());
                kept = false;
            }
        }
        return kept;
    }
}
