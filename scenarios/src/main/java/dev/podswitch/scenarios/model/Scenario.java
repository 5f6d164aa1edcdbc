package dev.podswitch.scenarios.model;

import java.nio.file.Path;
import java.util.List;

/** One scenario file, fully parsed and checked; {@code description} may be null. */
public record Scenario(
    Path file,
    String name,
    String description,
    ClusterSpec cluster,
    List<NamespaceSpec> namespaces,
    List<PodSpec> pods,
    List<HostSpec> hosts,
    List<StepSpec> steps)
{
    public Scenario
    {
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        hosts = List.copyOf(hosts);
        steps = List.copyOf(steps);
    }
}
