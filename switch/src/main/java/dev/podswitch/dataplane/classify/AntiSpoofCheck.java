package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DropReason;

/**
 * A pod (or host) may only send from its own MAC and IP. In a live lab a pod is a real network
 * namespace where root can forge anything; without this check a pod could claim another pod's IP
 * and walk around every ingress policy. Stateless, so one instance may serve every thread.
 */
public final class AntiSpoofCheck
{
    private AntiSpoofCheck()
    {
    }

    /** @return null when the frame's sender identity is the port's own, else the drop reason. */
    public static DropReason check(final PacketMeta meta, final LocalEndpoint sender)
    {
        if (meta.sourceMac != sender.mac())
        {
            return DropReason.SPOOFED_SOURCE;
        }
        if (meta.isArp())
        {
            // 0.0.0.0 is an ARP probe (RFC 5227 duplicate address detection), not a claim.
            return meta.arpSenderMac == sender.mac() && (meta.arpSenderIp == sender.ip() || meta.arpSenderIp == 0)
                ? null : DropReason.SPOOFED_SOURCE;
        }
        return meta.ipSource == sender.ip() ? null : DropReason.SPOOFED_SOURCE;
    }
}
