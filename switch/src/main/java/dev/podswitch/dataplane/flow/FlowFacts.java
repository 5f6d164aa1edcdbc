package dev.podswitch.dataplane.flow;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DropReason;

/** What a dropped packet's parsed fields can be trusted for, by why it was dropped. */
final class FlowFacts
{
    private FlowFacts()
    {
    }

    /** Whether the IPv4 addresses were parsed: not for frames that failed before or at the IPv4 header. */
    static boolean knowsAddresses(final DropReason reason)
    {
        return switch (reason)
        {
            case TRUNCATED_ETHERNET, UNKNOWN_ETHERTYPE, MALFORMED_ARP, BAD_IP_VERSION, BAD_IHL, BAD_IP_LENGTH,
                BAD_IP_CHECKSUM, RING_FULL, FRAME_TOO_LONG, BAD_OFFLOAD, BAD_TUNNEL_FRAME, INTERNAL_ERROR -> false;
            default -> true;
        };
    }

    /** Whether the ports were parsed: a TCP, UDP or SCTP header that was whole (and not a later fragment). */
    static boolean knowsPorts(final PacketMeta meta)
    {
        return IpProtocol.hasPorts(meta.ipProtocol) && meta.fragmentOffset == 0 && (meta.sourcePort | meta.destinationPort) != 0;
    }
}
