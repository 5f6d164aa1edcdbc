package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;

/**
 * A copy of one tracked connection, for tests, the CLI and reports; never made on the packet path.
 * The tuple is the original direction's. Ports are an ICMP echo's identifier, zero for protocols
 * without ports. The zone is the local endpoint the entry is charged to (its address), {@link
 * ConnectionTracker#FOREIGN_ZONE}, or {@link ConnectionTracker#NO_ZONE}.
 */
public record ConntrackEntry(
    int index,
    int zone,
    int protocol,
    int source,
    int destination,
    int sourcePort,
    int destinationPort,
    String state,
    boolean seenReply,
    boolean assured,
    long createdNs,
    long expiryNs,
    long policyGeneration,
    long packetsOriginal,
    long packetsReply)
{
    /** As {@code conntrack -L} prints it, with the time left at {@code nowNs}. */
    public String format(final long nowNs)
    {
        final String name = switch (protocol)
        {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 132 -> "sctp";
            default -> "proto" + protocol;
        };
        return name + " " + state + " src=" + PacketBytes.ipToString(source) + " dst="
            + PacketBytes.ipToString(destination) + (protocol == 1 ? " id=" + sourcePort : IpProtocol.hasPorts(protocol)
            ? " sport=" + sourcePort + " dport=" + destinationPort : "")
            + (seenReply ? "" : " [UNREPLIED]") + (assured ? " [ASSURED]" : "")
            + " expires_s=" + Math.max(0, (expiryNs - nowNs) / 1_000_000_000L)
            + " packets=" + packetsOriginal + "/" + packetsReply + " generation=" + policyGeneration
            + (zone == ConnectionTracker.NO_ZONE ? "" : zone == ConnectionTracker.FOREIGN_ZONE ? " zone=foreign"
            : " zone=" + PacketBytes.ipToString(zone));
    }
}
