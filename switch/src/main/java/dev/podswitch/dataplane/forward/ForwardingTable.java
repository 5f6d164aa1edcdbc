package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.packet.PacketBytes;

import java.util.Collection;

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
    private final IntHashMap<RemoteNode> remoteBySubnet;
    private final IntHashMap<RemoteNode> remoteByHostIp;
    private final IntHashMap<RemoteNode> remoteByVtepIp;

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
        this.remoteBySubnet = new IntHashMap<>(remoteSubnets.size());
        this.remoteByVtepIp = new IntHashMap<>(remoteSubnets.size() + remoteHosts.size());
        for (final RemoteRoute route : remoteSubnets)
        {
            remoteBySubnet.put(route.network() & nodeSubnetMask, route.node());
            remoteByVtepIp.put(route.node().vtepIp(), route.node());
        }
        this.remoteByHostIp = new IntHashMap<>(remoteHosts.size());
        for (final RemoteRoute route : remoteHosts)
        {
            remoteByHostIp.put(route.network(), route.node());
            remoteByVtepIp.put(route.node().vtepIp(), route.node());
        }
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

    /** The node whose VTEP reaches {@code ip}: a host attached there, or its pod CIDR; else null. */
    public RemoteNode remoteFor(final int ip)
    {
        final RemoteNode host = remoteByHostIp.get(ip);
        if (host != null)
        {
            return host;
        }
        if ((ip & clusterMask) != clusterNetwork)
        {
            return null;
        }
        return remoteBySubnet.get(ip & nodeSubnetMask);
    }

    public RemoteNode remoteByVtep(final int vtepIp)
    {
        return remoteByVtepIp.get(vtepIp);
    }

    @Override
    public String toString()
    {
        return "ForwardingTable{generation=" + generation + ", gateway=" + PacketBytes.ipToString(gatewayIp)
            + ", locals=" + localByIp.size() + ", remoteSubnets=" + remoteBySubnet.size() + "}";
    }
}
