package dev.podswitch.scenarios.model;

import java.util.List;

/** A machine outside the cluster, reached without NAT, named by its bare name in expectations. */
public record HostSpec(String name, String ip, List<ContainerPort> serves, SourceLocation where)
{
    public HostSpec
    {
        serves = List.copyOf(serves);
    }
}
