package dev.podswitch.scenarios.model;

import dev.podswitch.dataplane.packet.IpProtocol;

/** A port a pod or host serves; {@code name} (nullable) is what policies' named ports refer to. */
public record ContainerPort(String name, int containerPort, IpProtocol protocol)
{
}
