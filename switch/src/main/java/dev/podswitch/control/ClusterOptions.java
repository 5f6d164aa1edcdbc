package dev.podswitch.control;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.List;

/**
 * How to build an emulated cluster.
 *
 * @param underlay MEMORY delivers VXLAN packets in-process (deterministic); UDP sends them over
 *                 real UDP sockets on loopback through Netty's epoll transport.
 */
public record ClusterOptions(Ipv4Cidr clusterCidr, int nodePrefixLength, List<String> nodes, Underlay underlay, int vni,
    int ringSize)
{
    public static final int DEFAULT_VNI = 1;
    /** Room for every probe of a round plus their answers without back-pressure drops. */
    public static final int DEFAULT_RING_SIZE = 4096;

    public enum Underlay
    {
        MEMORY,
        UDP
    }

    public ClusterOptions
    {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty())
        {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
    }

    public static ClusterOptions of(final String clusterCidr, final int nodePrefixLength, final List<String> nodes,
        final Underlay underlay)
    {
        return new ClusterOptions(Ipv4Cidr.parse(clusterCidr), nodePrefixLength, nodes, underlay, DEFAULT_VNI,
            DEFAULT_RING_SIZE);
    }
}
