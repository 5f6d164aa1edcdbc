package dev.podswitch.agent.api;

import dev.podswitch.control.model.Namespace;
import dev.podswitch.control.model.Pod;
import dev.podswitch.control.model.StoredPolicy;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.model.NamedPort;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster model's objects in the Kubernetes API's shapes (v1 Namespace, Pod, Node;
 * networking.k8s.io/v1 NetworkPolicy), so that what {@code curl} gets reads like what a real API
 * server returns, and lists as {@code *List} objects with {@code items}.
 */
final class KubeShapes
{
    private KubeShapes()
    {
    }

    static Map<String, Object> list(final String apiVersion, final String kind, final List<Map<String, Object>> items,
        final long revision)
    {
        final Map<String, Object> list = new LinkedHashMap<>();
        list.put("apiVersion", apiVersion);
        list.put("kind", kind);
        list.put("metadata", Map.of("resourceVersion", Long.toString(revision)));
        list.put("items", items);
        return list;
    }

    static Map<String, Object> namespace(final Namespace namespace)
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        object.put("apiVersion", "v1");
        object.put("kind", "Namespace");
        object.put("metadata", metadata(namespace.name(), null, namespace.labels()));
        object.put("status", Map.of("phase", "Active"));
        return object;
    }

    static Map<String, Object> pod(final Pod pod)
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        object.put("apiVersion", "v1");
        object.put("kind", "Pod");
        final Map<String, Object> metadata = metadata(pod.name(), pod.namespace(), pod.labels());
        if (pod.attachment() != null)
        {
            metadata.put("annotations", Map.of("podswitch.dev/attachment", pod.attachment()));
        }
        object.put("metadata", metadata);
        final Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("nodeName", pod.node());
        if (!pod.ports().isEmpty())
        {
            final List<Map<String, Object>> ports = new ArrayList<>();
            for (final NamedPort port : pod.ports())
            {
                final Map<String, Object> entry = new LinkedHashMap<>();
                if (port.name() != null)
                {
                    entry.put("name", port.name());
                }
                entry.put("containerPort", port.port());
                entry.put("protocol", port.protocol().name());
                ports.add(entry);
            }
            spec.put("containers", List.of(Map.of("name", pod.name(), "ports", ports)));
        }
        object.put("spec", spec);
        object.put("status", Map.of("phase", "Running", "podIP", pod.ipText(), "podIPs", List.of(Map.of("ip", pod.ipText()))));
        return object;
    }

    static Map<String, Object> node(final NodeView node)
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        object.put("apiVersion", "v1");
        object.put("kind", "Node");
        object.put("metadata", metadata(node.name(), null, Map.of()));
        object.put("spec", Map.of("podCIDR", node.podCidr(), "podCIDRs", List.of(node.podCidr())));
        object.put("status", Map.of(
            "addresses", List.of(Map.of("type", "InternalIP", "address", node.underlayAddress())),
            "conditions", List.of(Map.of("type", "Ready", "status", node.ready() ? "True" : "False", "reason",
                node.reason()))));
        return object;
    }

    static Map<String, Object> networkPolicy(final StoredPolicy stored)
    {
        final Map<String, Object> object = new LinkedHashMap<>(stored.manifest());
        object.putIfAbsent("apiVersion", "networking.k8s.io/v1");
        object.putIfAbsent("kind", "NetworkPolicy");
        final Map<String, Object> metadata = new LinkedHashMap<>();
        if (object.get("metadata") instanceof final Map<?, ?> given)
        {
            given.forEach((key, value) -> metadata.put(String.valueOf(key), value));
        }
        metadata.put("name", stored.policy().name());
        metadata.put("namespace", stored.policy().namespace());
        object.put("metadata", metadata);
        return object;
    }

    private static Map<String, Object> metadata(final String name, final String namespace, final Map<String, String> labels)
    {
        final Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        if (namespace != null)
        {
            metadata.put("namespace", namespace);
        }
        if (!labels.isEmpty())
        {
            metadata.put("labels", new LinkedHashMap<>(labels));
        }
        return metadata;
    }
}
