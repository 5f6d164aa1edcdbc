package dev.podswitch.control.model;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.model.NamedPort;

import java.util.List;
import java.util.Map;

/**
 * A pod as the cluster model knows it: where it runs, its address, the labels policy selects on,
 * the named ports policies may refer to, and the name of its data-plane attachment (an emulated
 * endpoint, a live lab's namespace or a CNI interface; null when another host runs it).
 */
public record Pod(String namespace, String name, String node, int ip, Map<String, String> labels, List<NamedPort> ports,
    String attachment)
{
    public Pod
    {
        labels = Map.copyOf(labels);
        ports = List.copyOf(ports);
    }

    public String key()
    {
        return namespace + "/" + name;
    }

    public String ipText()
    {
        return Ipv4.format(ip);
    }

    public Pod withLabels(final Map<String, String> newLabels)
    {
        return new Pod(namespace, name, node, ip, newLabels, ports, attachment);
    }
}
