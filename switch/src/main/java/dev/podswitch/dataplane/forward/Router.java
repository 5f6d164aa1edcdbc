package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.offload.SegmentSink;
import dev.podswitch.dataplane.offload.SoftwareOffload;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.MemorySegment;

/**
 * The forward stage: one routed hop. A local pod or host gets the frame on its port; another
 * node's pod CIDR (or a host attached there) gets it through the VXLAN tunnel to that node's VTEP.
 * The IP packet is never rewritten beyond its TTL — no NAT: the receiver sees the sender's own IP.
 * Only MACs change, as on any router hop. Frames from the tunnel are delivered locally or dropped,
 * never sent back into the tunnel, so a stale table cannot make a loop.
 *
 * <p>Routing is split in two so the decision can be cached per flow: {@link #resolve} looks the
 * destination up and returns an <em>action</em> (a long naming a local port or a remote node of
 * the current table); {@link #apply} carries it out. The connection tracker keeps each flow's
 * action with the table generation it was made under — the exact-match cache of the fast path.
 *
 * <p>Offloads: a frame from a TAP with offloads may carry a partial checksum or be a 64 KiB TCP
 * super-frame. A port that takes offload requests (another TAP) gets it whole — the receiving
 * kernel finishes the work, as between two VMs on one host. Anything else — the tunnel, whose wire
 * carries only complete frames, or a memory port — gets it finished in software first
 * ({@link SoftwareOffload}).
 */
public final class Router
{
    public static final long NO_ROUTE = -1;
    private static final long REMOTE_FLAG = 1L << 40;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final SoftwareOffload software;
    private final PortSink portSink = new PortSink();
    private final TunnelSink tunnelSink = new TunnelSink();
    private final TrainSink trainSink = new TrainSink();

    /** @param frameCapacity the largest frame the pipeline carries (bounds a software-made segment). */
    public Router(final int frameCapacity)
    {
        this.software = new SoftwareOffload(frameCapacity);
    }

    public Router()
    {
        this(Frame.DEFAULT_CAPACITY);
    }

    /** The software offload engine, for its counters. */
    public SoftwareOffload softwareOffload()
    {
        return software;
    }

    /** Whether an action sends the frame into the tunnel (to another node). */
    public static boolean isRemote(final long action)
    {
        return (action & REMOTE_FLAG) != 0;
    }

    /** Where {@code destinationIp} goes under {@code table}: an action, or {@link #NO_ROUTE}. */
    public static long resolve(final int destinationIp, final boolean fromTunnel, final ForwardingTable table)
    {
        final LocalEndpoint local = table.localByIp(destinationIp);
        if (local != null)
        {
            return local.portId();
        }
        if (fromTunnel)
        {
            return NO_ROUTE;
        }
        final int remote = table.remoteIndexFor(destinationIp);
        return remote < 0 ? NO_ROUTE : REMOTE_FLAG | remote;
    }

    /** Carries out an action from {@link #resolve} made under the same table; null when the frame left. */
    public DropReason apply(final long action, final MemorySegment frame, final int length, final PacketMeta meta,
        final ForwardingTable table, final Port[] portById, final TunnelPort tunnel)
    {
        return apply(action, frame, length, Offload.NONE, meta, table, portById, tunnel);
    }

    /** As {@link #apply(long, MemorySegment, int, PacketMeta, ForwardingTable, Port[], TunnelPort)} for a frame with an offload request. */
    public DropReason apply(final long action, final MemorySegment frame, final int length, final long offload,
        final PacketMeta meta, final ForwardingTable table, final Port[] portById, final TunnelPort tunnel)
    {
        if (offload != Offload.NONE && !software.isFeasible(frame, 0, length, offload))
        {
            return DropReason.BAD_OFFLOAD;
        }
        if ((action & REMOTE_FLAG) == 0)
        {
            final int portId = (int)action;
            final LocalEndpoint local = table.localByPortId(portId);
            final Port port = portId < portById.length ? portById[portId] : null;
            if (port == null || local == null)
            {
                return DropReason.PORT_DOWN;
            }
            ethernet.wrap(frame, 0).destinationMac(local.mac()).sourceMac(table.gatewayMac());
            ipv4.wrap(frame, meta.l3Offset).decrementTtl();
            final boolean sent;
            if (offload == Offload.NONE)
            {
                sent = port.transmit(frame, 0, length);
            }
            else if (port.acceptsOffloads())
            {
                sent = port.transmit(frame, 0, length, offload);
            }
            else
            {
                sent = software.finish(frame, 0, length, offload, portSink.to(port));
            }
            return sent ? null : DropReason.PORT_DOWN;
        }
        if (tunnel == null)
        {
            return DropReason.NO_ROUTE;
        }
        final ForwardingTable.RemoteNode remote = table.remoteByIndex((int)(action & ~REMOTE_FLAG));
        // Inner MACs as a kernel VXLAN device expects them: ours as source, the peer's as destination.
        ethernet.wrap(frame, 0).destinationMac(remote.gatewayMac()).sourceMac(table.gatewayMac());
        ipv4.wrap(frame, meta.l3Offset).decrementTtl();
        final boolean sent;
        if (offload == Offload.NONE)
        {
            sent = tunnel.send(frame, 0, length, remote.vtepIp(), flowHash(meta));
        }
        else if (Offload.isSegmented(offload) && tunnel.sendsTrains())
        {
            // The segments of one super-frame leave as one UDP GSO train: one system call, not ~45.
            tunnel.beginTrain(remote.vtepIp(), flowHash(meta));
            final boolean cut = software.finish(frame, 0, length, offload, trainSink.to(tunnel));
            sent = tunnel.endTrain() && cut;
        }
        else
        {
            sent = software.finish(frame, 0, length, offload, tunnelSink.to(tunnel, remote.vtepIp(), flowHash(meta)));
        }
        return sent ? null : DropReason.TUNNEL_TX_FAILED;
    }

    /** Resolves and applies in one go, for frames no connection is tracked for. */
    public DropReason route(final MemorySegment frame, final int length, final PacketMeta meta, final boolean fromTunnel,
        final ForwardingTable table, final Port[] portById, final TunnelPort tunnel)
    {
        final long action = resolve(meta.ipDestination, fromTunnel, table);
        return action == NO_ROUTE ? DropReason.NO_ROUTE : apply(action, frame, length, meta, table, portById, tunnel);
    }

    /** Hands software-finished frames to one port (reused: set before each use, no allocation). */
    private static final class PortSink implements SegmentSink
    {
        private Port port;

        PortSink to(final Port target)
        {
            port = target;
            return this;
        }

        @Override
        public boolean send(final MemorySegment frame, final long offset, final int length)
        {
            return port.transmit(frame, offset, length);
        }
    }

    /** Hands software-finished frames to the tunnel towards one VTEP, all with the flow's outer source port. */
    private static final class TunnelSink implements SegmentSink
    {
        private TunnelPort tunnel;
        private int vtepIp;
        private int flowHash;

        TunnelSink to(final TunnelPort target, final int remoteVtepIp, final int hash)
        {
            tunnel = target;
            vtepIp = remoteVtepIp;
            flowHash = hash;
            return this;
        }

        @Override
        public boolean send(final MemorySegment frame, final long offset, final int length)
        {
            return tunnel.send(frame, offset, length, vtepIp, flowHash);
        }
    }

    /** Adds software-made segments to the tunnel's current train. */
    private static final class TrainSink implements SegmentSink
    {
        private TunnelPort tunnel;

        TrainSink to(final TunnelPort target)
        {
            tunnel = target;
            return this;
        }

        @Override
        public boolean send(final MemorySegment frame, final long offset, final int length)
        {
            return tunnel.appendToTrain(frame, offset, length);
        }
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
