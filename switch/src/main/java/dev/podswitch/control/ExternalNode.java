package dev.podswitch.control;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * A node this process does not run — a kernel VXLAN device, as flannel's vxlan backend builds
 * one — that every node of the cluster reaches through the underlay.
 *
 * @param gatewayMac the inner destination MAC of frames sent to it: the MAC of its VXLAN device,
 *                   which its kernel routes only frames addressed to.
 */
public record ExternalNode(String name, Ipv4Cidr podCidr, int vtepIp, long gatewayMac)
{
}
