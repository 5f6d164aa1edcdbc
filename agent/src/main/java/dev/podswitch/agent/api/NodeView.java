package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.ipam.cidr.Ipv4;

/**
 * A node as {@code GET /api/v1/nodes} shows it: one this process runs, or (with a datastore)
 * another host's, known by its subnet lease.
 *
 * @param underlayAddress where its VXLAN packets go (its VTEP).
 * @param reason          why it is (not) ready, as a Node condition's reason says it.
 */
public record NodeView(String name, String podCidr, String underlayAddress, boolean ready, String reason)
{
    public static NodeView running(final ClusterNode node)
    {
        return new NodeView(node.name(), node.podCidr().toString(), Ipv4.format(node.vtepIp()), true, "PodswitchNodeRunning");
    }
}
