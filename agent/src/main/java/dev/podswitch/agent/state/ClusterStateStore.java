package dev.podswitch.agent.state;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Namespace;
import dev.podswitch.control.model.Pod;
import dev.podswitch.control.model.StoredPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster model's journal in the agent's state directory: namespaces with their labels, the
 * NetworkPolicies as applied (their manifests) and the labels set on pods, in one JSON file
 * replaced whole and fsynced (file and directory) before an apply takes effect — so whatever the
 * API acknowledged is in force again after a restart, and no restart loses one policy of a set.
 * JSON both ways (Jackson): a label value {@code "True"} or {@code "007"} comes back as the same
 * string, which a YAML round trip would not promise.
 *
 * <p>Pods themselves are not kept here: the CNI attachments are ({@code attachments.json}); this
 * file keeps only the labels a user changed on them.
 */
public final class ClusterStateStore implements ClusterModel.Journal
{
    public static final String FILE_NAME = "cluster-state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the file holds. */
    public record State(Map<String, Map<String, String>> namespaces, List<Map<String, Object>> networkPolicies,
        Map<String, Map<String, String>> podLabels)
    {
        public static final State EMPTY = new State(Map.of(), List.of(), Map.of());
    }

    private final Path file;

    public ClusterStateStore(final Path stateDirectory)
    {
        this.file = stateDirectory.resolve(FILE_NAME);
    }

    public Path file()
    {
        return file;
    }

    /** The state a previous run kept; an unreadable file is an error, never an empty state (that would fail open). */
    public State load() throws IOException
    {
        if (!Files.exists(file))
        {
            return State.EMPTY;
        }
        try
        {
            final State state = JSON.readValue(file.toFile(), new TypeReference<State>()
            {
            });
            return new State(state.namespaces() == null ? Map.of() : state.namespaces(),
                state.networkPolicies() == null ? List.of() : state.networkPolicies(),
                state.podLabels() == null ? Map.of() : state.podLabels());
        }
        catch (final IOException unreadable)
        {
            throw new IOException("cannot read the kept cluster state " + file + ": " + unreadable.getMessage()
                + "; the agent will not start without the policies it acknowledged (move the file away to start empty)",
                unreadable);
        }
    }

    /** The changes that bring a model back to a kept state: namespaces and policies (pods come back with their attachments). */
    public static List<ClusterChange> restoring(final State state)
    {
        final List<ClusterChange> changes = new ArrayList<>();
        state.namespaces().forEach((name, labels) -> changes.add(new ClusterChange.PutNamespace(name, labels)));
        state.networkPolicies().forEach(manifest -> changes.add(new ClusterChange.ApplyNetworkPolicy(manifest)));
        return changes;
    }

    @Override
    public void record(final List<ClusterChange> changes, final ModelSnapshot after) throws IOException
    {
        final State previous = Files.exists(file) ? load() : State.EMPTY;
        final Map<String, Map<String, String>> namespaces = new LinkedHashMap<>();
        for (final Namespace namespace : after.namespaces().values())
        {
            namespaces.put(namespace.name(), namespace.labels());
        }
        final List<Map<String, Object>> policies = new ArrayList<>();
        for (final StoredPolicy stored : after.policies().values())
        {
            policies.add(stored.manifest());
        }
        final Map<String, Map<String, String>> podLabels = new LinkedHashMap<>(previous.podLabels());
        for (final ClusterChange change : changes)
        {
            if (change instanceof final ClusterChange.LabelPod label)
            {
                final Pod pod = after.pods().get(label.key());
                if (pod != null)
                {
                    podLabels.put(label.key(), pod.labels());
                }
            }
            else if (change instanceof final ClusterChange.RemovePod remove)
            {
                podLabels.remove(remove.key());
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(
            new State(namespaces, policies, podLabels)), "rw-------");
    }
}
