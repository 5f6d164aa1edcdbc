package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.util.IntHashMap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One node's forwarding state as an immutable snapshot: its gateway, the endpoints on its ports,
 * and which VTEP serves every other node's pod CIDR and every external host attached elsewhere.
 * The control plane builds a new one on every change and publishes it; the pipeline reads the
 * reference once per batch, so a batch never sees half an update.
 */
public final class ForwardingTable
{
    private final long generation;
    private final int gatewayIp;
    private final long gatewayMac;
    private final int nodeSubnetMask;
    private final int clusterNetwork;
    private final int clusterMask;
    private final int tunnelPortId;
    private final int vni;
    private final IntHashMap<LocalEndpoint> localByIp;
    private final LocalEndpoint[] localByPortId;
    private final IntHashMap<Remote> remoteBySubnet;
    private final IntHashMap<Remote> remoteByHostIp;
    private final IntHashMap<Remote> remoteByVtepIp;
    private final RemoteNode[] remoteByIndex;

    /** A remote node with its index in this table, so a cached decision can name it with an int. */
    private record Remote(int index, RemoteNode node)
    {
    }

    /** A peer node as the tunnel sees it: where its VTEP is and the MAC its inner frames expect. */
    public record RemoteNode(String name, int vtepIp, long gatewayMac)
    {
    }

    /** A remote node's pod CIDR, or a host attached to a remote node. */
    public record RemoteRoute(int network, RemoteNode node)
    {
    }

    public ForwardingTable(final long generation, final int gatewayIp, final long gatewayMac, final int nodePrefixLength,
        final int clusterNetwork, final int clusterPrefixLength, final int tunnelPortId, final int vni,
        final Collection<LocalEndpoint> locals, final Collection<RemoteRoute> remoteSubnets,
        final Collection<RemoteRoute> remoteHosts)
    {
        this.generation = generation;
        this.gatewayIp = gatewayIp;
        this.gatewayMac = gatewayMac;
        this.nodeSubnetMask = mask(nodePrefixLength);
        this.clusterNetwork = clusterNetwork;
        this.clusterMask = mask(clusterPrefixLength);
        this.tunnelPortId = tunnelPortId;
        this.vni = vni;
        this.localByIp = new IntHashMap<>(locals.size());
        int maxPortId = tunnelPortId;
        for (final LocalEndpoint local : locals)
        {
            localByIp.put(local.ip(), local);
            maxPortId = Math.max(maxPortId, local.portId());
        }
        this.localByPortId = new LocalEndpoint[maxPortId + 1];
        for (final LocalEndpoint local : locals)
        {
            localByPortId[local.portId()] = local;
        }
        final List<RemoteNode> distinct = new ArrayList<>();
        this.remoteByVtepIp = new IntHashMap<>(remoteSubnets.size() + remoteHosts.size());
        this.remoteBySubnet = new IntHashMap<>(remoteSubnets.size());
        for (final RemoteRoute route : remoteSubnets)
        {
            remoteBySubnet.put(route.network() & nodeSubnetMask, indexed(route.node(), distinct));
        }
        this.remoteByHostIp = new IntHashMap<>(remoteHosts.size());
        for (final RemoteRoute route : remoteHosts)
        {
            remoteByHostIp.put(route.network(), indexed(route.node(), distinct));
        }
        this.remoteByIndex = distinct.toArray(RemoteNode[]::new);
    }

    private Remote indexed(final RemoteNode node, final List<RemoteNode> distinct)
    {
        Remote remote = remoteByVtepIp.get(node.vtepIp());
        if (remote == null)
        {
            remote = new Remote(distinct.size(), node);
            distinct.add(node);
            remoteByVtepIp.put(node.vtepIp(), remote);
        }
        return remote;
    }

    private static int mask(final int prefixLength)
    {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public long generation()
    {
        return generation;
    }

    public int gatewayIp()
    {
        return gatewayIp;
    }

    public long gatewayMac()
    {
        return gatewayMac;
    }

    public int tunnelPortId()
    {
        return tunnelPortId;
    }

    public int vni()
    {
        return vni;
    }

    public LocalEndpoint localByIp(final int ip)
    {
        return localByIp.get(ip);
    }

    /** The endpoint bound to a port, or null for the tunnel and unbound ports. */
    public LocalEndpoint localByPortId(final int portId)
    {
        return portId >= 0 && portId < localByPortId.length ? localByPortId[portId] : null;
    }

    /** The index of the node whose VTEP reaches {@code ip} — a host attached there, or its pod CIDR — else -1. */
    public int remoteIndexFor(final int ip)
    {
        final Remote host = remoteByHostIp.get(ip);
        if (host != null)
        {
            return host.index();
        }
        if ((ip & clusterMask) != clusterNetwork)
        {
            return -1;
        }
        final Remote node = remoteBySubnet.get(ip & nodeSubnetMask);
        return node == null ? -1 : node.index();
    }

    /** The node whose VTEP reaches {@code ip}, or null. */
    public RemoteNode remoteFor(final int ip)
    {
        final int index = remoteIndexFor(ip);
        return index < 0 ? null : remoteByIndex[index];
    }

    public RemoteNode remoteByIndex(final int index)
    {
        return remoteByIndex[index];
    }

    /** The index of the node whose VTEP is {@code vtepIp}, or -1. */
    public int remoteIndexByVtep(final int vtepIp)
    {
        final Remote remote = remoteByVtepIp.get(vtepIp);
        return remote == null ? -1 : remote.index();
    }

    public RemoteNode remoteByVtep(final int vtepIp)
    {
        final Remote remote = remoteByVtepIp.get(vtepIp);
        return remote == null ? null : remote.node();
    }

    @Override
    public String toString()
    {
        return "ForwardingTable{generation=" + generation + ", gateway=" + PacketBytes.ipToString(gatewayIp)
            + ", locals=" + localByIp.size() + ", remoteSubnets=" + remoteBySubnet.size() + "}";
    }
}
