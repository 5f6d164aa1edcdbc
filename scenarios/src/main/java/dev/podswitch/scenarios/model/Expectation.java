package dev.podswitch.scenarios.model;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * One probe and its expected verdict. {@code from} and {@code to} are {@code namespace/pod} or a
 * host's bare name; {@code port} is 0 for ICMP.
 */
public record Expectation(String from, String to, IpProtocol protocol, int port, boolean allowed, SourceLocation where)
{
}
