package dev.podswitch.policy.model;

import java.util.List;

/**
 * One {@code ingress} or {@code egress} rule. Empty {@code peers} (from/to missing or empty) means
 * every peer; empty {@code ports} means every port and every protocol, ICMP included.
 */
public record PolicyRule(List<PolicyPeer> peers, List<PolicyPort> ports)
{
    public PolicyRule
    {
        peers = List.copyOf(peers);
        ports = List.copyOf(ports);
    }
}
