package dev.podswitch.datastore;

import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.Pod;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A cluster model holding what the datastore holds — for a client with no agent of its own
 * ({@code podswitch get|apply|delete|label --etcd}), so it reads and checks exactly as an agent does.
 */
public final class StateModels
{
    static final String DEFAULT_NAMESPACE = "default";

    private StateModels()
    {
    }

    /** A model of {@code state}: namespaces, the pods of nodes that hold a lease, policies; refused records are told to {@code skipped}. */
    public static ClusterModel of(final ClusterState state, final Consumer<String> skipped)
    {
        final ClusterModel model = new ClusterModel(table -> { });
        final List<ClusterChange> changes = new ArrayList<>();
        state.namespaces().forEach((name, labels) -> changes.add(new ClusterChange.PutNamespace(name, labels)));
        if (!state.namespaces().containsKey(DEFAULT_NAMESPACE))
        {
            // Every agent has it, as every Kubernetes cluster does; a client of the datastore should too.
            changes.add(new ClusterChange.PutNamespace(DEFAULT_NAMESPACE, java.util.Map.of()));
        }
        for (final PodRecord pod : state.pods().values())
        {
            if (state.holdsAddress(pod))
            {
                changes.add(new ClusterChange.AddPod(new Pod(pod.namespace(), pod.name(), pod.node(), pod.ip(), pod.labels(),
                    List.of(), null)));
            }
        }
        state.policies().values().forEach(manifest -> changes.add(new ClusterChange.ApplyNetworkPolicy(manifest)));
        try
        {
            model.apply(changes);
            return model;
        }
        catch (final ModelException | IOException someRefused)
        {
            // One by one, so a single bad record does not hide the rest.
        }
        for (final ClusterChange change : changes)
        {
            try
            {
                model.apply(change);
            }
            catch (final ModelException | IOException refused)
            {
                skipped.accept(change.describe() + ": " + refused.getMessage());
            }
        }
        return model;
    }
}
