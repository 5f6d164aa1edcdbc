package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4;

/**
 * One pod interface's IP: the key is (node, containerId, ifName), as host-local keys its reservations by
 * (container id, interface name) within a network. The address is an unsigned {@code int} (see {@link Ipv4}).
 */
public record PodIpLease(String node, String containerId, String ifName, int ip)
{
    public PodIpLease
    {
        Names.check("node name", node);
        Names.check("container id", containerId);
        Names.check("interface name", ifName);
    }

    public boolean isHeldBy(final String node, final String containerId, final String ifName)
    {
        return this.node.equals(node) && this.containerId.equals(containerId) && this.ifName.equals(ifName);
    }

    @Override
    public String toString()
    {
        return Ipv4.format(ip) + " (node " + node + ", container " + containerId + ", interface " + ifName + ")";
    }
}
