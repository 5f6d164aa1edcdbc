package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.ClusterSpec;

/**
 * The cluster's parsed address plan, for the checks that need arithmetic: the i-th node listed
 * owns the i-th block of {@code nodeCidrSize} inside the cluster CIDR.
 */
record ClusterPlan(ClusterSpec spec, Ipv4.Cidr podCidr)
{
    /** The pod CIDR of {@code node}, which must be one of the cluster's nodes. */
    Ipv4.Cidr nodeCidr(final String node)
    {
        final int index = spec.nodes().indexOf(node);
        final long blockSize = 1L << (32 - spec.nodeCidrSize());
        return new Ipv4.Cidr(podCidr.base() + index * blockSize, spec.nodeCidrSize());
    }
}
