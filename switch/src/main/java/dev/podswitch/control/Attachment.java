package dev.podswitch.control;

import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.endpoint.VirtualEndpoint;

/**
 * Something attached to a node: a pod or an external host, with the IP and MAC the switch
 * enforces on its port. One type for every kind — an emulated endpoint on a memory port, a live
 * lab's namespace or a CNI interface behind a TAP — so that every kind is detached the same way
 * (see {@link Attachments#detach}).
 *
 * @param endpoint         the emulated endpoint behind a memory port, or null for a port the caller built.
 * @param leaseContainerId with {@code leaseIfName}: the key the pod's IP is leased under; null for a host.
 */
public record Attachment(String name, LocalEndpoint.Kind kind, ClusterNode node, int ip, long mac, Port port,
    VirtualEndpoint endpoint, String leaseContainerId, String leaseIfName)
{
    public LocalEndpoint binding()
    {
        return new LocalEndpoint(port.id(), mac, ip, kind, name);
    }

    /** An emulated endpoint's memory port (tests tap it to see what the endpoint was sent). */
    public MemoryPort memoryPort()
    {
        if (!(port instanceof final MemoryPort memory))
        {
            throw new IllegalStateException(name + " is attached through " + port + ", not a memory port");
        }
        return memory;
    }

    /** Whether the switch made this endpoint itself (emulated mode) rather than being handed a port. */
    public boolean isEmulated()
    {
        return endpoint != null;
    }
}
