package dev.podswitch.scenarios.load;

import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.scenarios.model.ClusterSpec;

/**
 * The cluster's parsed address plan, for the checks that need arithmetic: the i-th node listed
 * owns the i-th block of {@code nodeCidrSize} inside the cluster CIDR.
 */
record ClusterPlan(ClusterSpec spec, Ipv4Cidr podCidr)
{
    /** The pod CIDR of {@code node}, which must be one of the cluster's nodes. */
    Ipv4Cidr nodeCidr(final String node)
    {
        return podCidr.subnet(spec.nodeCidrSize(), spec.nodes().indexOf(node));
    }
}
