package dev.podswitch.control;

import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.endpoint.VirtualEndpoint;

/** A pod or host attached to a node of an emulated cluster, through its memory port. */
public record Attachment(String name, LocalEndpoint.Kind kind, ClusterNode node, int ip, long mac, MemoryPort port,
    VirtualEndpoint endpoint)
{
    public LocalEndpoint binding()
    {
        return new LocalEndpoint(port.id(), mac, ip, kind, name);
    }
}
