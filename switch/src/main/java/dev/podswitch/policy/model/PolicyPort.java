package dev.podswitch.policy.model;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * One {@code ports} entry. {@code protocol} is TCP when the manifest leaves it out. Either
 * {@code port} (with an optional {@code endPort} for a range), or {@code portName} (resolved
 * against the receiving pod's container ports), or neither (every port of the protocol).
 */
public record PolicyPort(IpProtocol protocol, Integer port, String portName, Integer endPort)
{
}
