package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's nodes and how they reach each other: each node this process runs gets its pod
 * CIDR and gateway from IPAM, a VTEP address (the plan: fixed ones from the options, else the
 * next of the cluster's base) and its {@link NodeDatapath}; nodes it does not run (a kernel
 * VXLAN node) are added with their pod CIDR and VTEP, checked against every other node for
 * clashes. Driver thread only.
 */
final class NodeTopology
{
    private final ClusterOptions options;
    private final Map<String, ClusterNode> nodeByName = new LinkedHashMap<>();
    private final Map<String, ExternalNode> externalNodeByName = new LinkedHashMap<>();

    /** Builds every node of {@code options}: node i gets VTEP {@code vtepBase + i + 1} unless the options fix one. */
    NodeTopology(final ClusterOptions options, final ClusterIpam ipam, final VxlanUnderlay underlay, final int vtepBase,
        final DistinctErrorLog errors)
    {
        this.options = options;
        int index = 0;
        for (final String name : options.nodes())
        {
            final Ipv4Cidr podCidr = ipam.nodeSubnet(name);
            final int gatewayIp = ipam.gateway(name);
            final long gatewayMac = ClusterDataplane.macFor(gatewayIp);
            final int vtepIp = options.vtepIps().getOrDefault(name, vtepBase + index + 1);
            final ForwardingTable empty = new ForwardingTable(0, gatewayIp, gatewayMac, options.nodePrefixLength(),
                options.clusterCidr().network(), options.clusterCidr().prefixLength(), NodeDatapath.TUNNEL_PORT_ID,
                options.vni(), List.of(), List.of(), List.of());
            final NodeDatapath datapath = new NodeDatapath(name, options.ringSize(), options.frameCapacity(), vtepIp,
                options.vni(), underlay, empty, errors);
            nodeByName.put(name, new ClusterNode(name, index, podCidr, gatewayIp, gatewayMac, vtepIp, datapath));
            index++;
        }
    }

    Map<String, ClusterNode> nodes()
    {
        return Collections.unmodifiableMap(nodeByName);
    }

    ClusterNode node(final String name)
    {
        final ClusterNode node = nodeByName.get(name);
        if (node == null)
        {
            throw new IllegalArgumentException("no node " + name + " in this cluster; nodes: " + nodeByName.keySet());
        }
        return node;
    }

    Map<String, ExternalNode> externalNodes()
    {
        return Collections.unmodifiableMap(externalNodeByName);
    }

    /** Adds a node podswitch does not run; its pod CIDR must be a free node subnet and its VTEP unused. */
    ExternalNode addExternal(final String name, final Ipv4Cidr podCidr, final int vtepIp, final long gatewayMac)
    {
        if (nodeByName.containsKey(name) || externalNodeByName.containsKey(name))
        {
            throw new IllegalArgumentException("a node named " + name + " already exists");
        }
        if (podCidr.prefixLength() != options.nodePrefixLength() || !options.clusterCidr().contains(podCidr.network()))
        {
            throw new IllegalArgumentException("external node " + name + " has pod CIDR " + podCidr + "; it must be a /"
                + options.nodePrefixLength() + " inside the cluster CIDR " + options.clusterCidr());
        }
        for (final ClusterNode node : nodeByName.values())
        {
            if (node.podCidr().network() == podCidr.network() || node.vtepIp() == vtepIp)
            {
                throw new IllegalArgumentException("external node " + name + " (" + podCidr + ", VTEP "
                    + Ipv4.format(vtepIp) + ") clashes with node " + node.name() + " (" + node.podCidr() + ", VTEP "
                    + Ipv4.format(node.vtepIp()) + ")");
            }
        }
        for (final ExternalNode other : externalNodeByName.values())
        {
            if (other.podCidr().network() == podCidr.network() || other.vtepIp() == vtepIp)
            {
                throw new IllegalArgumentException("external node " + name + " clashes with external node " + other);
            }
        }
        final ExternalNode external = new ExternalNode(name, podCidr, vtepIp, gatewayMac);
        externalNodeByName.put(name, external);
        return external;
    }

    ExternalNode removeExternal(final String name)
    {
        return externalNodeByName.remove(name);
    }

    /** Whether every node's ring is empty. */
    boolean allRingsEmpty()
    {
        for (final ClusterNode node : nodeByName.values())
        {
            if (!node.datapath().isIdle())
            {
                return false;
            }
        }
        return true;
    }

    void close()
    {
        for (final ClusterNode node : nodeByName.values())
        {
            node.datapath().close();
        }
    }
}
