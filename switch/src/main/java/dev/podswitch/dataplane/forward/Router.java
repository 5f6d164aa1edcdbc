package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.MemorySegment;

/**
 * The forward stage: one routed hop. A local pod or host gets the frame on its port; another
 * node's pod CIDR (or a host attached there) gets it through the VXLAN tunnel to that node's VTEP.
 * The IP packet is never rewritten beyond its TTL — no NAT: the receiver sees the sender's own IP.
 * Only MACs change, as on any router hop. Frames from the tunnel are delivered locally or dropped,
 * never sent back into the tunnel, so a stale table cannot make a loop.
 */
public final class Router
{
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    /** @return null when the frame left through a port, else the drop reason. */
    public DropReason route(final MemorySegment frame, final int length, final PacketMeta meta, final boolean fromTunnel,
        final ForwardingTable table, final Port[] portById, final TunnelPort tunnel)
    {
        final LocalEndpoint local = table.localByIp(meta.ipDestination);
        if (local != null)
        {
            final Port port = local.portId() < portById.length ? portById[local.portId()] : null;
            if (port == null)
            {
                return DropReason.PORT_DOWN;
            }
            ethernet.wrap(frame, 0).destinationMac(local.mac()).sourceMac(table.gatewayMac());
            ipv4.wrap(frame, meta.l3Offset).decrementTtl();
            return port.transmit(frame, 0, length) ? null : DropReason.PORT_DOWN;
        }
        if (fromTunnel)
        {
            return DropReason.NO_ROUTE;
        }
        final ForwardingTable.RemoteNode remote = table.remoteFor(meta.ipDestination);
        if (remote == null || tunnel == null)
        {
            return DropReason.NO_ROUTE;
        }
        // Inner MACs as a kernel VXLAN device expects them: ours as source, the peer's as destination.
        ethernet.wrap(frame, 0).destinationMac(remote.gatewayMac()).sourceMac(table.gatewayMac());
        ipv4.wrap(frame, meta.l3Offset).decrementTtl();
        return tunnel.send(frame, 0, length, remote.vtepIp(), flowHash(meta)) ? null : DropReason.TUNNEL_TX_FAILED;
    }

    /** A hash of the 5-tuple, stable for a flow, so its outer source port is too. */
    static int flowHash(final PacketMeta meta)
    {
        int hash = meta.ipSource * 31 + meta.ipDestination;
        hash = hash * 31 + meta.ipProtocol;
        hash = hash * 31 + ((meta.sourcePort << 16) | meta.destinationPort);
        return hash * 31 + meta.icmpIdentifier;
    }
}
