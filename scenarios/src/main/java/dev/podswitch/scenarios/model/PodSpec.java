package dev.podswitch.scenarios.model;

import java.util.List;
import java.util.Map;

/**
 * A pod. {@code node} is null when the runtime should spread pods over the nodes in order, and
 * {@code ip} is null when IPAM picks the address.
 */
public record PodSpec(
    String namespace,
    String name,
    String node,
    String ip,
    Map<String, String> labels,
    List<ContainerPort> ports,
    SourceLocation where)
{
    public PodSpec
    {
        labels = Maps.orderedCopy(labels);
        ports = List.copyOf(ports);
    }

    /** How scenarios name a pod: {@code namespace/name}. */
    public String key()
    {
        return namespace + "/" + name;
    }
}
