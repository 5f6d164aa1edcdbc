package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.HashSet;
import java.util.Set;

/**
 * Leases per-node pod CIDRs out of the cluster CIDR, like the Kubernetes node IPAM controller's range allocator:
 * a new node gets the lowest free subnet, so nodes leased in order get 10.244.0.0/24, 10.244.1.0/24, ... and a
 * released subnet is the next one handed out. Pure functions over an {@link IpamState}; the store makes them
 * atomic.
 */
final class NodeSubnetAllocator
{
    private NodeSubnetAllocator()
    {
    }

    static Ipv4Cidr leaseOrGet(final IpamState state, final ClusterLayout layout, final String node)
    {
        final Ipv4Cidr existing = state.subnetByNode().get(node);
        if (existing != null)
        {
            return existing;
        }

        final Ipv4Cidr clusterCidr = layout.clusterCidr();
        final Set<Long> usedIndexes = new HashSet<>();
        for (final Ipv4Cidr leased : state.subnetByNode().values())
        {
            usedIndexes.add(clusterCidr.subnetIndex(leased));
        }

        // The first free index is at most usedIndexes.size(), so this loop is bounded by the lease count,
        // not by the (possibly 2^30) number of subnets.
        final long subnetCount = layout.nodeSubnetCount();
        for (long index = 0; index < subnetCount; index++)
        {
            if (!usedIndexes.contains(index))
            {
                final Ipv4Cidr subnet = clusterCidr.subnet(layout.nodePrefixLength(), index);
                state.leaseNodeSubnet(node, subnet);
                return subnet;
            }
        }

        throw new IpamException("cluster CIDR " + clusterCidr + " is full: all " + subnetCount + " /" +
            layout.nodePrefixLength() + " node subnets are leased, " + state.subnetByNode().size() +
            " nodes hold leases; cannot give node " + node + " a subnet. Release the lease of a node that is " +
            "gone, or use a larger cluster CIDR or a longer node prefix length");
    }
}
