package dev.podswitch.control.model;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.policy.compile.IncrementalPolicyCompiler;
import dev.podswitch.policy.validation.FieldError;
import dev.podswitch.policy.validation.MetadataDecoder;
import dev.podswitch.policy.validation.NetworkPolicyDecoder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Kubernetes-level state of the cluster this process serves — namespaces with labels, pods,
 * hosts and NetworkPolicies — and its one apply path: validate every change against the state it
 * will meet, keep the result in the journal (a state directory, later a datastore), compile the
 * policy incrementally, swap the new state in and publish the compiled table to the data plane.
 * An apply is all or nothing: if any change is invalid, nothing is journalled, compiled or
 * published, and {@link ModelException} names every problem.
 *
 * <p>Threads: any thread may call; applies are serialised by the model's monitor (a control-plane
 * rate, never per packet). Readers take an immutable {@link #snapshot()} without blocking applies
 * for longer than a reference read. The data plane never calls in: it sees only the compiled
 * {@link PolicyTable}s the publisher hands it.
 *
 * <p>Why this file is over 400 lines: the one apply path and the state it guards (validate,
 * journal, compile, swap, publish) hold one lock; split across classes, that lock and what it
 * guards would no longer be readable in one place.
 */
public final class ClusterModel implements ClusterWriter
{
    /** Where compiled tables go: every node's data plane. */
    @FunctionalInterface
    public interface PolicyPublisher
    {
        void publish(PolicyTable table);
    }

    /**
     * Keeps an apply's result before it takes effect, so what was acknowledged survives a crash.
     * Throwing refuses the apply: nothing changes.
     */
    @FunctionalInterface
    public interface Journal
    {
        Journal NONE = (changes, after) -> { };

        void record(List<ClusterChange> changes, ModelSnapshot after) throws IOException;
    }

    /**
     * Told how long each apply's incremental policy compile took — what a daemon's metrics export as
     * {@code podswitch_policy_compile_seconds}. A listener rather than a metrics library here, so the
     * switch depends on none. Called inside the apply (the model's monitor held): it must be quick.
     */
    @FunctionalInterface
    public interface CompileTimer
    {
        CompileTimer NONE = seconds -> { };

        void compiled(double seconds);
    }

    /** What one change did, as kubectl says it: {@code networkpolicy default/db created}. */
    public record Outcome(String subject, String verb, List<FieldError> warnings)
    {
        public Outcome
        {
            warnings = List.copyOf(warnings);
        }

        @Override
        public String toString()
        {
            return subject + " " + verb;
        }
    }

    /**
     * How much the model holds at most; a change past a limit is refused (403-style "exceeded
     * quota", naming the limit and its flag), so a hostile or runaway client meets an error, not an
     * out-of-memory agent.
     */
    public record Limits(int maxNamespaces, int maxPods, int maxPolicies)
    {
        public static final Limits DEFAULT = new Limits(10_000, 100_000, 10_000);

        public Limits
        {
            if (maxNamespaces < 1 || maxPods < 1 || maxPolicies < 1)
            {
                throw new IllegalArgumentException("every limit must be at least 1: " + maxNamespaces + ", " + maxPods
                    + ", " + maxPolicies);
            }
        }
    }

    private final PolicyPublisher publisher;
    private final Limits limits;
    /** Keeps the last snapshot's identities, selectors and tables, so each publish compiles only what changed. */
    private final IncrementalPolicyCompiler compiler = new IncrementalPolicyCompiler();
    private Journal journal = Journal.NONE;
    private CompileTimer compileTimer = CompileTimer.NONE;
    private volatile ModelSnapshot current = ModelSnapshot.empty();

    public ClusterModel(final PolicyPublisher publisher)
    {
        this(publisher, Limits.DEFAULT);
    }

    public ClusterModel(final PolicyPublisher publisher, final Limits limits)
    {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Sets where applies are kept from now on (a restore runs with none, then sets it). */
    public synchronized void journal(final Journal journal)
    {
        this.journal = Objects.requireNonNull(journal, "journal");
    }

    /** Sets who is told each compile's duration from now on ({@link CompileTimer#NONE}: nobody). */
    public synchronized void compileTimer(final CompileTimer timer)
    {
        this.compileTimer = Objects.requireNonNull(timer, "timer");
    }

    public ModelSnapshot snapshot()
    {
        return current;
    }

    /**
     * The one apply path. Changes are checked in order, each against the state the ones before it
     * leave, so a list may create a namespace and then label it.
     *
     * @throws ModelException when any change is refused; nothing changed then.
     * @throws IOException    when the journal could not keep the result; nothing changed then.
     */
    @Override
    public synchronized List<Outcome> apply(final List<ClusterChange> changes) throws ModelException, IOException
    {
        final WorkingState state = new WorkingState(current, limits);
        final List<Outcome> outcomes = tryAll(state, changes);
        final ModelSnapshot next = state.snapshot(current.revision() + 1);
        journal.record(changes, next);
        final long compileStarted = System.nanoTime();
        final PolicyTable table = compiler.update(next.policyCluster());
        compileTimer.compiled((System.nanoTime() - compileStarted) / 1e9);
        current = next;
        publisher.publish(table);
        return outcomes;
    }

    /** A dry run of {@link #apply(List)}: the same checks and outcomes, nothing changed, kept or published. */
    @Override
    public synchronized List<Outcome> check(final List<ClusterChange> changes) throws ModelException
    {
        return tryAll(new WorkingState(current, limits), changes);
    }

    private static List<Outcome> tryAll(final WorkingState state, final List<ClusterChange> changes) throws ModelException
    {
        final List<Outcome> outcomes = new ArrayList<>(changes.size());
        final List<ModelException.Problem> problems = new ArrayList<>();
        ModelException.Reason reason = null;
        for (int i = 0; i < changes.size(); i++)
        {
            final ClusterChange change = changes.get(i);
            final ChangeResult result = state.apply(change);
            if (result.errors().isEmpty())
            {
                outcomes.add(new Outcome(result.subject(), result.verb(), result.warnings()));
                continue;
            }
            for (final FieldError error : result.errors())
            {
                problems.add(new ModelException.Problem(i, result.subject(), error));
            }
            reason = reason == null || reason == result.reason() ? result.reason() : ModelException.Reason.INVALID;
        }
        if (!problems.isEmpty())
        {
            throw new ModelException(reason, problems);
        }
        return outcomes;
    }

    /** The result of checking one change against the working state. */
    record ChangeResult(String subject, String verb, List<FieldError> errors, List<FieldError> warnings,
        ModelException.Reason reason)
    {
        static ChangeResult done(final String subject, final String verb, final List<FieldError> warnings)
        {
            return new ChangeResult(subject, verb, List.of(), warnings, null);
        }

        static ChangeResult refused(final String subject, final ModelException.Reason reason, final List<FieldError> errors)
        {
            return new ChangeResult(subject, "", errors, List.of(), reason);
        }

        static ChangeResult refused(final String subject, final ModelException.Reason reason, final String path,
            final String message)
        {
            return refused(subject, reason, List.of(new FieldError(path, message)));
        }
    }

    /** A copy of the state that changes are tried on; becomes the next snapshot only if all succeed. */
    private static final class WorkingState
    {
        private final Map<String, Namespace> namespaces;
        private final Map<String, Pod> pods;
        private final Map<String, Host> hosts;
        private final Map<String, StoredPolicy> policies;

        private final Limits limits;

        WorkingState(final ModelSnapshot from, final Limits limits)
        {
            this.limits = limits;
            namespaces = new LinkedHashMap<>(from.namespaces());
            pods = new LinkedHashMap<>(from.pods());
            hosts = new LinkedHashMap<>(from.hosts());
            policies = new LinkedHashMap<>(from.policies());
        }

        ModelSnapshot snapshot(final long revision)
        {
            return new ModelSnapshot(revision, namespaces, pods, hosts, policies);
        }

        ChangeResult apply(final ClusterChange change)
        {
            return switch (change)
            {
                case ClusterChange.PutNamespace put -> putNamespace(put);
                case ClusterChange.LabelNamespace label -> labelNamespace(label);
                case ClusterChange.AddPod add -> addPod(add.pod());
                case ClusterChange.RemovePod remove -> removePod(remove.key());
                case ClusterChange.LabelPod label -> labelPod(label);
                case ClusterChange.AddHost add -> addHost(add.host());
                case ClusterChange.ApplyNetworkPolicy policy -> applyPolicy(policy);
                case ClusterChange.DeleteNetworkPolicy delete -> deletePolicy(delete.key());
            };
        }

        private ChangeResult putNamespace(final ClusterChange.PutNamespace put)
        {
            final String subject = "namespace " + put.name();
            final List<FieldError> errors = new ArrayList<>(MetadataDecoder.namespaceName(put.name(), "metadata.name"));
            final MetadataDecoder.Labels labels = MetadataDecoder.labels(put.labels(), "metadata.labels");
            errors.addAll(labels.errors());
            errors.addAll(metadataNameLabel(put.name(), labels.labels()));
            if (!errors.isEmpty())
            {
                return ChangeResult.refused(subject, ModelException.Reason.INVALID, errors);
            }
            if (!namespaces.containsKey(put.name()) && namespaces.size() >= limits.maxNamespaces())
            {
                return overQuota(subject, "namespaces", limits.maxNamespaces(), "--max-namespaces");
            }
            final Namespace before = namespaces.put(put.name(), new Namespace(put.name(), labels.labels()));
            return ChangeResult.done(subject, before == null ? "created"
                : before.labels().equals(namespaces.get(put.name()).labels()) ? "unchanged" : "configured", List.of());
        }

        private ChangeResult labelNamespace(final ClusterChange.LabelNamespace label)
        {
            final String subject = "namespace " + label.name();
            final Namespace namespace = namespaces.get(label.name());
            if (namespace == null)
            {
                return ChangeResult.refused(subject, ModelException.Reason.NOT_FOUND, "metadata.name",
                    "Not found: namespaces \"" + label.name() + "\" not found");
            }
            final Map<String, String> edited = label.edit().applyTo(namespace.labels());
            if (label.edit().replaceAll())
            {
                edited.put(Namespace.METADATA_NAME_LABEL, label.name());
            }
            final MetadataDecoder.Labels labels = MetadataDecoder.labels(edited, "metadata.labels");
            final List<FieldError> errors = new ArrayList<>(labels.errors());
            errors.addAll(metadataNameLabel(label.name(), edited));
            if (!errors.isEmpty())
            {
                return ChangeResult.refused(subject, ModelException.Reason.INVALID, errors);
            }
            namespaces.put(label.name(), new Namespace(label.name(), labels.labels()));
            return ChangeResult.done(subject, "labeled", List.of());
        }

        /** The API server sets {@code kubernetes.io/metadata.name} to the name; it may be repeated, not changed or removed. */
        private static List<FieldError> metadataNameLabel(final String name, final Map<String, String> labels)
        {
            final String value = labels.get(Namespace.METADATA_NAME_LABEL);
            if (value != null && !value.equals(name))
            {
                return List.of(new FieldError("metadata.labels[" + Namespace.METADATA_NAME_LABEL + "]",
                    "Invalid value: \"" + value + "\": must be the namespace's own name \"" + name + "\""));
            }
            return List.of();
        }

        private ChangeResult addPod(final Pod pod)
        {
            final String subject = "pod " + pod.key();
            if (pods.containsKey(pod.key()))
            {
                return ChangeResult.refused(subject, ModelException.Reason.CONFLICT, "metadata.name",
                    "Invalid value: \"" + pod.name() + "\": a pod of this name already exists in namespace "
                        + pod.namespace());
            }
            final String owner = ownerOf(pod.ip());
            if (owner != null)
            {
                return ChangeResult.refused(subject, ModelException.Reason.CONFLICT, "status.podIP",
                    "Invalid value: \"" + pod.ipText() + "\": already the address of " + owner);
            }
            final MetadataDecoder.Labels labels = MetadataDecoder.labels(pod.labels(), "metadata.labels");
            if (!labels.errors().isEmpty())
            {
                return ChangeResult.refused(subject, ModelException.Reason.INVALID, labels.errors());
            }
            if (pods.size() >= limits.maxPods())
            {
                return overQuota(subject, "pods", limits.maxPods(), "--max-pods");
            }
            if (!namespaces.containsKey(pod.namespace()) && namespaces.size() >= limits.maxNamespaces())
            {
                return overQuota(subject, "namespaces", limits.maxNamespaces(), "--max-namespaces");
            }
            namespaces.computeIfAbsent(pod.namespace(), name -> new Namespace(name, Map.of()));
            pods.put(pod.key(), pod);
            return ChangeResult.done(subject, "created", List.of());
        }

        private String ownerOf(final int ip)
        {
            for (final Pod other : pods.values())
            {
                if (other.ip() == ip)
                {
                    return "pod " + other.key();
                }
            }
            for (final Host other : hosts.values())
            {
                if (other.ip() == ip)
                {
                    return "host " + other.name();
                }
            }
            return null;
        }

        private ChangeResult removePod(final String key)
        {
            final String subject = "pod " + key;
            if (pods.remove(key) == null)
            {
                return ChangeResult.refused(subject, ModelException.Reason.NOT_FOUND, "metadata.name",
                    "Not found: pods \"" + key + "\" not found");
            }
            return ChangeResult.done(subject, "deleted", List.of());
        }

        private ChangeResult labelPod(final ClusterChange.LabelPod label)
        {
            final String subject = "pod " + label.key();
            final Pod pod = pods.get(label.key());
            if (pod == null)
            {
                return ChangeResult.refused(subject, ModelException.Reason.NOT_FOUND, "metadata.name",
                    "Not found: pods \"" + label.key() + "\" not found");
            }
            final MetadataDecoder.Labels labels =
                MetadataDecoder.labels(label.edit().applyTo(pod.labels()), "metadata.labels");
            if (!labels.errors().isEmpty())
            {
                return ChangeResult.refused(subject, ModelException.Reason.INVALID, labels.errors());
            }
            pods.put(label.key(), pod.withLabels(labels.labels()));
            return ChangeResult.done(subject, "labeled", List.of());
        }

        private ChangeResult addHost(final Host host)
        {
            final String subject = "host " + host.name();
            if (hosts.containsKey(host.name()))
            {
                return ChangeResult.refused(subject, ModelException.Reason.CONFLICT, "name",
                    "Invalid value: \"" + host.name() + "\": a host of this name already exists");
            }
            final String owner = ownerOf(host.ip());
            if (owner != null)
            {
                return ChangeResult.refused(subject, ModelException.Reason.CONFLICT, "ip",
                    "Invalid value: \"" + host.ipText() + "\": already the address of " + owner);
            }
            hosts.put(host.name(), host);
            return ChangeResult.done(subject, "created", List.of());
        }

        private ChangeResult applyPolicy(final ClusterChange.ApplyNetworkPolicy apply)
        {
            final NetworkPolicyDecoder.Decoded decoded = NetworkPolicyDecoder.decode(apply.manifest());
            if (!decoded.isValid())
            {
                return ChangeResult.refused(apply.describe(), ModelException.Reason.INVALID, decoded.errors());
            }
            final String subject = "networkpolicy " + decoded.policy().key();
            if (!policies.containsKey(decoded.policy().key()) && policies.size() >= limits.maxPolicies())
            {
                return overQuota(subject, "networkpolicies", limits.maxPolicies(), "--max-policies");
            }
            final StoredPolicy before = policies.put(decoded.policy().key(),
                new StoredPolicy(decoded.policy(), apply.manifest()));
            final String verb = before == null ? "created"
                : before.policy().equals(decoded.policy()) ? "unchanged" : "configured";
            return ChangeResult.done(subject, verb, decoded.warnings());
        }

        private static ChangeResult overQuota(final String subject, final String what, final int limit, final String flag)
        {
            return ChangeResult.refused(subject, ModelException.Reason.QUOTA, "metadata.name",
                "Forbidden: exceeded quota: at most " + limit + " " + what + " (the daemon's " + flag + ")");
        }

        private ChangeResult deletePolicy(final String key)
        {
            final String subject = "networkpolicy " + key;
            if (policies.remove(key) == null)
            {
                return ChangeResult.refused(subject, ModelException.Reason.NOT_FOUND, "metadata.name",
                    "Not found: networkpolicies \"" + key + "\" not found");
            }
            return ChangeResult.done(subject, "deleted", List.of());
        }
    }
}
