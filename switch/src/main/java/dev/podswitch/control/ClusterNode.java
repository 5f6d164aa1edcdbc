package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

/** One node of an emulated cluster: its pod CIDR, gateway, VTEP and data plane. */
public record ClusterNode(String name, int index, Ipv4Cidr podCidr, int gatewayIp, long gatewayMac, int vtepIp,
    NodeDatapath datapath)
{
}
