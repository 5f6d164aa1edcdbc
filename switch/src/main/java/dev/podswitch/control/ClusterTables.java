package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Computes one node's forwarding table from where everything is attached: the node's own pods
 * and hosts (whatever kind of port they use), the other nodes' pod CIDRs and the hosts attached
 * there, and nodes podswitch does not run (a kernel VXLAN node). A pure function of its inputs,
 * so every change rebuilds all tables the same way.
 */
final class ClusterTables
{
    /** Something attached to a node, as the data plane binds it. */
    record Placement(ClusterNode node, LocalEndpoint binding)
    {
    }

    private ClusterTables()
    {
    }

    static ForwardingTable tableFor(final ClusterNode node, final long generation, final ClusterOptions options,
        final Collection<ClusterNode> nodes, final Collection<Placement> placements,
        final Collection<ExternalNode> externalNodes)
    {
        final List<LocalEndpoint> locals = new ArrayList<>();
        final List<ForwardingTable.RemoteRoute> remoteHosts = new ArrayList<>();
        for (final Placement placement : placements)
        {
            if (placement.node() == node)
            {
                locals.add(placement.binding());
            }
            else if (placement.binding().kind() == LocalEndpoint.Kind.HOST)
            {
                remoteHosts.add(new ForwardingTable.RemoteRoute(placement.binding().ip(), remoteNode(placement.node())));
            }
        }
        final List<ForwardingTable.RemoteRoute> remoteSubnets = new ArrayList<>();
        for (final ClusterNode other : nodes)
        {
            if (other != node)
            {
                remoteSubnets.add(new ForwardingTable.RemoteRoute(other.podCidr().network(), remoteNode(other)));
            }
        }
        for (final ExternalNode external : externalNodes)
        {
            remoteSubnets.add(new ForwardingTable.RemoteRoute(external.podCidr().network(),
                new ForwardingTable.RemoteNode(external.name(), external.vtepIp(), external.gatewayMac())));
        }
        return new ForwardingTable(generation, node.gatewayIp(), node.gatewayMac(), options.nodePrefixLength(),
            options.clusterCidr().network(), options.clusterCidr().prefixLength(), NodeDatapath.TUNNEL_PORT_ID,
            options.vni(), locals, remoteSubnets, remoteHosts);
    }

    private static ForwardingTable.RemoteNode remoteNode(final ClusterNode node)
    {
        return new ForwardingTable.RemoteNode(node.name(), node.vtepIp(), node.gatewayMac());
    }
}
