package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.validation.NetworkPolicyDecoder;
import dev.podswitch.scenarios.model.ContainerPort;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.NamespaceSpec;
import dev.podswitch.scenarios.model.PodSpec;
import org.snakeyaml.engine.v2.nodes.Node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pod and Namespace manifests as the scenario model's {@link PodSpec} and {@link NamespaceSpec}, so
 * the runner treats {@code kind: Pod} like an {@code addPods:} entry, and NetworkPolicy manifests
 * as the policy model. Only manifests the loader produced (and so checked) may be converted.
 */
public final class KubeObjects
{
    static final String METADATA_NAME_LABEL = "kubernetes.io/metadata.name";

    private KubeObjects()
    {
    }

    /** A Pod manifest as a pod: namespace "default" when absent (as kubectl does), IPAM picks its IP. */
    public static PodSpec podSpec(final Manifest pod)
    {
        requireKind(pod, "Pod");
        final Map<String, Object> spec = map(pod.body().get("spec"));
        final List<ContainerPort> ports = new ArrayList<>();
        for (final Object container : list(spec.get("containers")))
        {
            for (final Object port : list(map(container).get("ports")))
            {
                final Map<String, Object> fields = map(port);
                final Object protocol = fields.get("protocol");
                ports.add(new ContainerPort(
                    (String)fields.get("name"),
                    ((Number)fields.get("containerPort")).intValue(),
                    protocol == null ? IpProtocol.TCP : IpProtocol.valueOf((String)protocol)));
            }
        }
        return new PodSpec(
            pod.namespace() == null ? PodReader.DEFAULT_NAMESPACE : pod.namespace(),
            pod.name(),
            (String)spec.get("nodeName"),
            null,
            labels(pod),
            ports,
            pod.where());
    }

    /**
     * A NetworkPolicy manifest as the validated model, with the API server's defaults applied
     * (namespace "default" when absent). The loader has already rejected invalid ones, so an
     * invalid manifest here is a bug: IllegalStateException.
     */
    public static NetworkPolicy networkPolicy(final Manifest policy)
    {
        requireKind(policy, "NetworkPolicy");
        final NetworkPolicyDecoder.Decoded decoded = NetworkPolicyDecoder.decode(policy.body());
        if (!decoded.isValid())
        {
            throw new IllegalStateException("not a valid NetworkPolicy, so not one the loader produced: " +
                policy.describe() + ": " + decoded.errors());
        }
        return decoded.policy();
    }

    public static NamespaceSpec namespaceSpec(final Manifest namespace)
    {
        requireKind(namespace, "Namespace");
        return new NamespaceSpec(namespace.name(), labels(namespace), namespace.where());
    }

    /** The API server sets this label to the namespace's name; a file may repeat it but not change it. */
    static void checkMetadataNameLabel(
        final Origin origin,
        final Node labelsNode,
        final String path,
        final String namespace,
        final Map<String, String> labels) throws ScenarioException
    {
        final String value = labels.get(METADATA_NAME_LABEL);
        if (value != null && !value.equals(namespace))
        {
            final YamlMap map = YamlMap.of(origin, labelsNode, path);
            throw origin.error(map.keyNode(METADATA_NAME_LABEL), path + "[" + METADATA_NAME_LABEL + "]",
                "must be the namespace's own name \"" + namespace + "\", got \"" + value + "\": the API server sets it");
        }
    }

    /** The Pod fields the runner reads; the many others a real Pod has are left alone. */
    static void checkPod(final Origin origin, final YamlMap root) throws ScenarioException
    {
        final Node specNode = root.value("spec");
        if (specNode == null)
        {
            return;
        }
        final YamlMap spec = YamlMap.of(origin, specNode, "spec");
        if (spec.value("nodeName") != null)
        {
            Values.text(origin, spec.value("nodeName"), "spec.nodeName");
        }
        final List<Node> containers = Values.list(origin, spec.value("containers"), "spec.containers");
        for (int i = 0; i < containers.size(); i++)
        {
            final String path = "spec.containers[" + i + "]";
            final YamlMap container = YamlMap.of(origin, containers.get(i), path);
            Probes.containerPorts(origin, container.value("ports"), path + ".ports", "hostPort", "hostIP");
        }
    }

    private static void requireKind(final Manifest manifest, final String kind)
    {
        if (!kind.equals(manifest.kind()))
        {
            throw new IllegalArgumentException("not a " + kind + ": " + manifest.describe());
        }
    }

    private static Map<String, String> labels(final Manifest manifest)
    {
        final Map<String, String> labels = new LinkedHashMap<>();
        for (final Map.Entry<String, Object> label : map(map(manifest.body().get("metadata")).get("labels")).entrySet())
        {
            labels.put(label.getKey(), label.getValue() == null ? "" : (String)label.getValue());
        }
        return labels;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object value)
    {
        return value == null ? Map.of() : (Map<String, Object>)value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(final Object value)
    {
        return value == null ? List.of() : (List<Object>)value;
    }
}
