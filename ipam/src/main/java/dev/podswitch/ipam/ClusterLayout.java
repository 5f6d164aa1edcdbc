package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * How the cluster CIDR is carved into per-node pod CIDRs. It is persisted with the leases: reopening a state
 * with another layout would renumber nodes under running pods, so {@link ClusterIpam} refuses that.
 */
public record ClusterLayout(Ipv4Cidr clusterCidr, int nodePrefixLength)
{
    public static final Ipv4Cidr DEFAULT_CLUSTER_CIDR = Ipv4Cidr.parse("10.244.0.0/16");
    public static final int DEFAULT_NODE_PREFIX_LENGTH = 24;

    /**
     * host-local refuses subnets smaller than a /30 ("too small to allocate from"): a node subnet needs a
     * gateway and at least one pod address besides network and broadcast.
     */
    public static final int MAX_NODE_PREFIX_LENGTH = 30;

    public static final ClusterLayout DEFAULT = new ClusterLayout(DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_PREFIX_LENGTH);

    public ClusterLayout
    {
        if (clusterCidr == null)
        {
            throw new IllegalArgumentException("cluster CIDR must not be null");
        }
        if (nodePrefixLength < clusterCidr.prefixLength())
        {
            throw new IllegalArgumentException("node subnet prefix length /" + nodePrefixLength +
                " is shorter than the cluster CIDR " + clusterCidr + ": a node subnet must fit inside the " +
                "cluster CIDR, so use a node prefix length of at least " + clusterCidr.prefixLength());
        }
        if (nodePrefixLength > MAX_NODE_PREFIX_LENGTH)
        {
            throw new IllegalArgumentException("node subnet prefix length /" + nodePrefixLength +
                " leaves no address for pods besides network, broadcast and gateway; use at most /" +
                MAX_NODE_PREFIX_LENGTH);
        }
    }

    public long nodeSubnetCount()
    {
        return clusterCidr.subnetCount(nodePrefixLength);
    }

    @Override
    public String toString()
    {
        return "cluster CIDR " + clusterCidr + " with /" + nodePrefixLength + " node subnets";
    }
}
