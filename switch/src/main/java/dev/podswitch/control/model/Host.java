package dev.podswitch.control.model;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.model.NamedPort;

import java.util.List;

/** A machine outside the cluster, reached without NAT through a node's uplink; policy sees it by its IP only. */
public record Host(String name, String node, int ip, List<NamedPort> serves)
{
    public Host
    {
        serves = List.copyOf(serves);
    }

    public String ipText()
    {
        return Ipv4.format(ip);
    }
}
