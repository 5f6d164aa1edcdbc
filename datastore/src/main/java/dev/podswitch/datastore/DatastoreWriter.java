package dev.podswitch.datastore;

import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ClusterWriter;
import dev.podswitch.control.model.LabelEdit;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.Namespace;
import dev.podswitch.policy.validation.FieldError;
import dev.podswitch.policy.validation.NetworkPolicyDecoder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client's changes, written to etcd instead of one host's model: the same checks first (the
 * model's dry run, so a refusal reads exactly as it does against one agent), then every change in
 * one transaction guarded by the revisions it read, retried when another writer got there first.
 * Each agent's watch brings the change into its own model through the one apply path. Namespaces,
 * NetworkPolicies and labels go this way; pods exist because an agent's node runs them, so only
 * their labels may be changed here.
 */
public final class DatastoreWriter implements ClusterWriter
{
    /** After a write: waits until this process has applied the write's revision (an agent), or nothing (the CLI). */
    @FunctionalInterface
    public interface Settle
    {
        Settle NONE = revision -> { };

        void await(long revision) throws IOException;
    }

    private static final int ATTEMPTS = 5;

    private final Datastore datastore;
    private final ClusterWriter checker;
    private final Settle settle;

    /** @param checker checks changes against this process's view of the cluster (its model's dry run). */
    public DatastoreWriter(final Datastore datastore, final ClusterWriter checker, final Settle settle)
    {
        this.datastore = datastore;
        this.checker = checker;
        this.settle = settle;
    }

    @Override
    public List<ClusterModel.Outcome> check(final List<ClusterChange> changes) throws ModelException
    {
        return checker.check(changes);
    }

    @Override
    public List<ClusterModel.Outcome> apply(final List<ClusterChange> changes) throws ModelException, IOException
    {
        final List<ClusterModel.Outcome> outcomes = checker.check(changes);
        for (int attempt = 1; ; attempt++)
        {
            final Map<String, Datastore.Guard> guards = new LinkedHashMap<>();
            final Map<String, Datastore.Write> writes = new LinkedHashMap<>();
            for (int index = 0; index < changes.size(); index++)
            {
                plan(index, changes.get(index), guards, writes);
            }
            final long revision = datastore.commit(List.copyOf(guards.values()), List.copyOf(writes.values()));
            if (revision > 0)
            {
                settle.await(revision);
                return outcomes;
            }
            if (attempt == ATTEMPTS)
            {
                throw new DatastoreException("another client kept changing the same objects in etcd; "
                    + "the change was not applied after " + ATTEMPTS + " attempts, try again");
            }
        }
    }

    /** The guards and writes of one change, each read of a key guarded by the revision it was read at. */
    private void plan(final int index, final ClusterChange change, final Map<String, Datastore.Guard> guards,
        final Map<String, Datastore.Write> writes) throws IOException, ModelException
    {
        final DatastoreKeys keys = datastore.keys();
        switch (change)
        {
            case ClusterChange.PutNamespace put ->
            {
                final Map<String, String> labels = new LinkedHashMap<>(put.labels());
                labels.put(Namespace.METADATA_NAME_LABEL, put.name());
                writes.put(keys.namespace(put.name()), Datastore.Write.put(keys.namespace(put.name()),
                    Records.namespace(put.name(), labels), 0));
            }
            case ClusterChange.LabelNamespace label ->
            {
                final String key = keys.namespace(label.name());
                final Map<String, String> labels = label.edit().applyTo(namespaceLabels(key, guards, writes));
                labels.put(Namespace.METADATA_NAME_LABEL, label.name());
                writes.put(key, Datastore.Write.put(key, Records.namespace(label.name(), labels), 0));
            }
            case ClusterChange.LabelPod label ->
            {
                final String key = keys.prefix() + DatastoreKeys.PODS + label.key();
                final Datastore.Entry entry = read(key, guards, writes);
                if (entry == null)
                {
                    throw notFound(index, "pod " + label.key(), "pods \"" + label.key() + "\" not found");
                }
                final PodRecord pod = decodePod(key, entry.value());
                final PodRecord edited = new PodRecord(pod.namespace(), pod.name(), pod.node(), pod.ip(),
                    label.edit().applyTo(pod.labels()));
                // The pod's record stays bound to its node's lease, so it still goes when the node does.
                writes.put(key, Datastore.Write.put(key, Records.pod(edited), entry.lease()));
            }
            case ClusterChange.ApplyNetworkPolicy apply ->
            {
                final String policyKey = NetworkPolicyDecoder.decode(apply.manifest()).policy().key();
                final String key = keys.prefix() + DatastoreKeys.POLICIES + policyKey;
                writes.put(key, Datastore.Write.put(key, Records.encode(apply.manifest()), 0));
            }
            case ClusterChange.DeleteNetworkPolicy delete ->
            {
                final String key = keys.prefix() + DatastoreKeys.POLICIES + delete.key();
                if (read(key, guards, writes) == null)
                {
                    throw notFound(index, "networkpolicy " + delete.key(), "networkpolicies \"" + delete.key() + "\" not found");
                }
                writes.put(key, Datastore.Write.delete(key));
            }
            case ClusterChange.AddPod ignored -> throw new IllegalArgumentException("pods are written by their node's agent");
            case ClusterChange.RemovePod ignored -> throw new IllegalArgumentException("pods are removed by their node's agent");
            case ClusterChange.AddHost ignored -> throw new IllegalArgumentException("hosts are not kept in the datastore");
        }
    }

    private Map<String, String> namespaceLabels(final String key, final Map<String, Datastore.Guard> guards,
        final Map<String, Datastore.Write> writes) throws IOException
    {
        final Datastore.Write pending = writes.get(key);
        final byte[] value = pending != null ? pending.value() : valueOf(read(key, guards, writes));
        if (value == null)
        {
            return new LinkedHashMap<>();
        }
        try
        {
            return new LinkedHashMap<>(Records.namespaceLabels(key, value));
        }
        catch (final Records.Invalid invalid)
        {
            throw new DatastoreException("cannot edit a record etcd holds in a form this version does not read: "
                + invalid.getMessage());
        }
    }

    private static byte[] valueOf(final Datastore.Entry entry)
    {
        return entry == null ? null : entry.value();
    }

    /** Reads a key once per attempt, guarding the transaction on what was read (absent: must stay absent). */
    private Datastore.Entry read(final String key, final Map<String, Datastore.Guard> guards,
        final Map<String, Datastore.Write> writes) throws IOException
    {
        final Datastore.Write pending = writes.get(key);
        if (pending != null)
        {
            return pending.value() == null ? null : new Datastore.Entry(key, pending.value(), pending.lease(), -1);
        }
        final Datastore.Entry entry = datastore.get(key);
        guards.putIfAbsent(key, new Datastore.Guard(key, entry == null ? 0 : entry.modRevision()));
        return entry;
    }

    private static PodRecord decodePod(final String key, final byte[] value) throws DatastoreException
    {
        try
        {
            return Records.pod(key, value);
        }
        catch (final Records.Invalid invalid)
        {
            throw new DatastoreException("cannot edit a record etcd holds in a form this version does not read: "
                + invalid.getMessage());
        }
    }

    private static ModelException notFound(final int index, final String subject, final String what)
    {
        return new ModelException(ModelException.Reason.NOT_FOUND,
            List.of(new ModelException.Problem(index, subject, new FieldError("metadata.name", "Not found: " + what))));
    }
}
