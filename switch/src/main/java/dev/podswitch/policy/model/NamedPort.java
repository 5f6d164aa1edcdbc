package dev.podswitch.policy.model;

import dev.podswitch.dataplane.packet.IpProtocol;

/** A container port a pod (or a port a host) serves; {@code name} may be null. */
public record NamedPort(String name, IpProtocol protocol, int port)
{
}
