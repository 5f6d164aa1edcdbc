package dev.podswitch.scenarios.model;

import java.util.List;

/**
 * The cluster's address plan and nodes. The i-th node gets the i-th block of size
 * {@code nodeCidrSize} inside {@code podCidr}.
 */
public record ClusterSpec(String podCidr, int nodeCidrSize, List<String> nodes)
{
    public static final String DEFAULT_POD_CIDR = "10.244.0.0/16";
    public static final int DEFAULT_NODE_CIDR_SIZE = 24;
    public static final String DEFAULT_NODE = "node-1";

    public ClusterSpec
    {
        nodes = List.copyOf(nodes);
    }

    public static ClusterSpec defaults()
    {
        return new ClusterSpec(DEFAULT_POD_CIDR, DEFAULT_NODE_CIDR_SIZE, List.of(DEFAULT_NODE));
    }
}
