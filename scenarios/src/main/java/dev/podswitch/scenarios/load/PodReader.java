package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.PodSpec;
import org.snakeyaml.engine.v2.nodes.Node;

/** One entry of {@code pods:} or {@code addPods:}; existence checks are the {@link Population}'s. */
final class PodReader
{
    static final String DEFAULT_NAMESPACE = "default";

    private PodReader()
    {
    }

    static PodSpec read(final Origin origin, final Node node, final String path, final ClusterPlan cluster)
        throws ScenarioException
    {
        final YamlMap map = YamlMap.of(origin, node, path);
        map.allowOnly("name", "namespace", "node", "ip", "labels", "ports");
        final String name = dnsLabel(origin, map, "name", map.require("name"));
        final String namespace = map.value("namespace") == null ?
            DEFAULT_NAMESPACE : dnsLabel(origin, map, "namespace", map.value("namespace"));
        String nodeName = null;
        if (map.value("node") != null)
        {
            nodeName = Values.text(origin, map.value("node"), map.pathOf("node"));
            if (!cluster.spec().nodes().contains(nodeName))
            {
                throw origin.error(map.value("node"), map.pathOf("node"), "node \"" + nodeName + "\" is not in " +
                    "cluster.nodes " + cluster.spec().nodes() + Suggest.didYouMean(nodeName, cluster.spec().nodes()));
            }
        }
        final String ip = map.value("ip") == null ? null : fixedIp(origin, map, cluster, nodeName);
        return new PodSpec(
            namespace,
            name,
            nodeName,
            ip,
            Values.labels(origin, map.value("labels"), map.pathOf("labels")),
            Probes.containerPorts(origin, map.value("ports"), map.pathOf("ports")),
            origin.location(node));
    }

    private static String dnsLabel(final Origin origin, final YamlMap map, final String key, final Node node)
        throws ScenarioException
    {
        final String text = Values.text(origin, node, map.pathOf(key));
        final String problem = KubeSyntax.dns1123LabelProblem(text);
        if (problem != null)
        {
            throw origin.error(node, map.pathOf(key), "invalid " + key + " \"" + text + "\": " + problem);
        }
        return text;
    }

    private static String fixedIp(final Origin origin, final YamlMap map, final ClusterPlan cluster, final String node)
        throws ScenarioException
    {
        final Node ipNode = map.value("ip");
        final String path = map.pathOf("ip");
        final String ip = Values.text(origin, ipNode, path);
        final int address = Values.ipv4(origin, ipNode, path);
        if (!cluster.podCidr().contains(address))
        {
            throw origin.error(ipNode, path, "pod IP " + ip + " is outside the cluster's pod CIDR " + cluster.podCidr() +
                " (cluster.podCIDR)");
        }
        if (node != null && !cluster.nodeCidr(node).contains(address))
        {
            throw origin.error(ipNode, path, "pod IP " + ip + " is outside " + node + "'s pod CIDR " +
                cluster.nodeCidr(node) + "; the i-th node in cluster.nodes gets the i-th /" +
                cluster.spec().nodeCidrSize() + " of " + cluster.podCidr());
        }
        return ip;
    }
}
