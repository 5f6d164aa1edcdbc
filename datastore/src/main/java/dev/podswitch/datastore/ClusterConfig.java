package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * What every agent of a cluster must agree on: the cluster CIDR the node subnets are cut from,
 * their prefix length, and the VXLAN network identifier. The first agent writes it; the others
 * read it, and a flag that says otherwise is an error, not a second cluster.
 */
public record ClusterConfig(Ipv4Cidr clusterCidr, int nodePrefixLength, int vni)
{
    public ClusterConfig
    {
        if (nodePrefixLength <= clusterCidr.prefixLength() || nodePrefixLength > 30)
        {
            throw new IllegalArgumentException("node subnet size /" + nodePrefixLength + " must be longer than the cluster "
                + "CIDR " + clusterCidr + " and at most /30");
        }
        if (vni < 1 || vni > 0xFF_FFFF)
        {
            throw new IllegalArgumentException("VNI " + vni + " is not in 1..16777215");
        }
    }

    /** The subnets of this size the cluster CIDR holds. */
    public long subnetCount()
    {
        return 1L << (nodePrefixLength - clusterCidr.prefixLength());
    }

    @Override
    public String toString()
    {
        return "cluster CIDR " + clusterCidr + ", node subnets /" + nodePrefixLength + ", VNI " + vni;
    }
}
