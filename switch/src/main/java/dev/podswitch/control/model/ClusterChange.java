package dev.podswitch.control.model;

import java.util.Map;

/**
 * One change to the cluster model. Every way in — a scenario step, the control API, a CNI ADD, a
 * restart restoring the state directory — says what it wants as a list of these and hands it to
 * {@link ClusterModel#apply}, the one apply path.
 */
public sealed interface ClusterChange
{
    /** What the change names, for messages: {@code networkpolicy default/db}. */
    String describe();

    /** Create a namespace, or replace its labels (a Namespace manifest, a scenario's namespaces). */
    record PutNamespace(String name, Map<String, String> labels) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "namespace " + name;
        }
    }

    /** Edit an existing namespace's labels; {@code kubernetes.io/metadata.name} stays its name. */
    record LabelNamespace(String name, LabelEdit edit) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "namespace " + name;
        }
    }

    /** A pod that now exists (its data plane attachment made); its namespace is created if missing. */
    record AddPod(Pod pod) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "pod " + pod.key();
        }
    }

    record RemovePod(String key) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "pod " + key;
        }
    }

    record LabelPod(String key, LabelEdit edit) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "pod " + key;
        }
    }

    record AddHost(Host host) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "host " + host.name();
        }
    }

    /** Create or replace a NetworkPolicy from its manifest (plain maps, as JSON or YAML readers give). */
    record ApplyNetworkPolicy(Map<String, Object> manifest) implements ClusterChange
    {
        @Override
        public String describe()
        {
            final Object metadata = manifest.get("metadata");
            final Object name = metadata instanceof final Map<?, ?> fields ? fields.get("name") : null;
            return "networkpolicy " + (name == null ? "(unnamed)" : name);
        }
    }

    /** Delete a NetworkPolicy by {@code namespace/name}. */
    record DeleteNetworkPolicy(String key) implements ClusterChange
    {
        @Override
        public String describe()
        {
            return "networkpolicy " + key;
        }
    }
}
