package dev.podswitch.scenarios.load;

import dev.podswitch.ipam.cidr.CidrFormatException;
import dev.podswitch.ipam.cidr.IpText;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.scenarios.model.ClusterSpec;
import dev.podswitch.scenarios.model.ContainerPort;
import dev.podswitch.scenarios.model.HostSpec;
import dev.podswitch.scenarios.model.NamespaceSpec;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.SourceLocation;
import dev.podswitch.scenarios.model.StepSpec;
import inet.ipaddr.IPAddress;
import org.snakeyaml.engine.v2.nodes.Node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A scenario file's top level: cluster, namespaces, pods, hosts, then the steps in order. */
final class ScenarioReader
{
    private static final int MAX_NODE_CIDR_SIZE = 30;
    private static final String CIDR_EXAMPLE = "10.244.0.0/16";

    private ScenarioReader()
    {
    }

    static Scenario read(final Path file) throws ScenarioException
    {
        final String text = YamlDocuments.read(file, "scenario file");
        final Origin origin = Origin.ofFile(file, text);
        final List<Node> documents = YamlDocuments.composeAll(text, origin);
        if (documents.isEmpty())
        {
            throw origin.error(origin.at(0, 0), "", "empty scenario file: expected at least name: and steps:");
        }
        if (documents.size() > 1)
        {
            throw origin.error(documents.get(1), "", "a scenario file holds one YAML document; put manifests in " +
                "separate files (apply: [file]) or in a step's manifests: block");
        }
        final YamlMap root = YamlMap.of(origin, documents.getFirst(), "");
        if (root.has("apiVersion") || root.has("kind"))
        {
            throw origin.error(root.node(), "", "this is a Kubernetes manifest, not a scenario: check it with " +
                "`podswitch validate`, or apply it from a scenario step with apply: [" + file.getFileName() + "]");
        }
        root.allowOnly("name", "description", "cluster", "namespaces", "pods", "hosts", "steps");
        final String name = Values.text(origin, root.require("name"), "name");
        final String description = root.value("description") == null ?
            null : Values.text(origin, root.value("description"), "description");
        final ClusterPlan cluster = readCluster(origin, root);

        final Population population = new Population();
        final List<NamespaceSpec> namespaces = readNamespaces(origin, root, population);
        final List<PodSpec> pods = new ArrayList<>();
        final List<Node> podNodes = Values.list(origin, root.value("pods"), "pods");
        for (int i = 0; i < podNodes.size(); i++)
        {
            final String path = "pods[" + i + "]";
            final PodSpec pod = PodReader.read(origin, podNodes.get(i), path, cluster);
            population.addPod(origin, pod.where(), path, pod, false);
            pods.add(pod);
        }
        final List<HostSpec> hosts = readHosts(origin, root, cluster, population);

        final StepReader steps = new StepReader(origin, cluster, population);
        final List<StepSpec> stepSpecs = new ArrayList<>();
        final List<Node> stepNodes = Values.list(origin, root.value("steps"), "steps");
        for (int i = 0; i < stepNodes.size(); i++)
        {
            stepSpecs.add(steps.read(stepNodes.get(i), i));
        }
        return new Scenario(file, name, description, cluster.spec(), namespaces, pods, hosts, stepSpecs);
    }

    private static ClusterPlan readCluster(final Origin origin, final YamlMap root) throws ScenarioException
    {
        final ClusterSpec defaults = ClusterSpec.defaults();
        if (root.value("cluster") == null)
        {
            return new ClusterPlan(defaults, Ipv4Cidr.parse(defaults.podCidr()));
        }
        final YamlMap map = YamlMap.of(origin, root.value("cluster"), "cluster");
        map.allowOnly("podCIDR", "nodeCIDRSize", "nodes");

        String podCidrText = defaults.podCidr();
        if (map.value("podCIDR") != null)
        {
            podCidrText = Values.text(origin, map.value("podCIDR"), map.pathOf("podCIDR"));
        }
        final Ipv4Cidr podCidr = podCidr(origin, map.value("podCIDR"), map.pathOf("podCIDR"), podCidrText);

        int nodeCidrSize = defaults.nodeCidrSize();
        final Node sizeNode = map.value("nodeCIDRSize");
        if (sizeNode != null)
        {
            nodeCidrSize = Values.integer(origin, sizeNode, map.pathOf("nodeCIDRSize"));
        }
        if (nodeCidrSize < podCidr.prefixLength() || nodeCidrSize > MAX_NODE_CIDR_SIZE)
        {
            throw origin.error(sizeNode == null ? map.node() : sizeNode, map.pathOf("nodeCIDRSize"),
                "must be between the pod CIDR's prefix length " + podCidr.prefixLength() + " and " + MAX_NODE_CIDR_SIZE +
                ", got " + nodeCidrSize);
        }

        List<String> nodes = defaults.nodes();
        if (map.value("nodes") != null)
        {
            nodes = readNodes(origin, map);
        }
        final long room = 1L << (nodeCidrSize - podCidr.prefixLength());
        if (nodes.size() > room)
        {
            throw origin.error(map.value("nodes"), map.pathOf("nodes"), nodes.size() + " nodes need " + nodes.size() +
                " pod CIDRs of /" + nodeCidrSize + " but " + podCidr + " holds only " + room + "; widen podCIDR or raise " +
                "nodeCIDRSize");
        }
        return new ClusterPlan(new ClusterSpec(podCidr.toString(), nodeCidrSize, nodes), podCidr);
    }

    /** A strict IPv4 network ({@link IpText}), each way of getting it wrong explained. */
    private static Ipv4Cidr podCidr(final Origin origin, final Node node, final String path, final String text)
        throws ScenarioException
    {
        final IPAddress written;
        try
        {
            written = IpText.cidr(text);
        }
        catch (final CidrFormatException ex)
        {
            throw origin.error(node, path, "invalid CIDR \"" + text + "\": " + ex.reason() +
                (ex.reason().endsWith(CIDR_EXAMPLE) ? "" : "; expected an IPv4 network like " + CIDR_EXAMPLE));
        }
        if (!written.isIPv4())
        {
            throw origin.error(node, path, "invalid CIDR \"" + text + "\": an IPv6 network, but the emulated cluster " +
                "is single-stack IPv4; expected an IPv4 network like " + CIDR_EXAMPLE);
        }
        if (!IpText.isNetwork(written))
        {
            throw origin.error(node, path, "CIDR \"" + text + "\" has bits set after its prefix; did you mean " +
                IpText.networkOf(written).toCanonicalString() + "?");
        }
        return Ipv4Cidr.of(written);
    }

    private static List<String> readNodes(final Origin origin, final YamlMap cluster) throws ScenarioException
    {
        final String path = cluster.pathOf("nodes");
        final List<Node> elements = Values.list(origin, cluster.value("nodes"), path);
        if (elements.isEmpty())
        {
            throw origin.error(cluster.value("nodes"), path, "a cluster needs at least one node");
        }
        final List<String> nodes = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++)
        {
            final String node = Values.text(origin, elements.get(i), path + "[" + i + "]");
            final String problem = KubeSyntax.dns1123SubdomainProblem(node);
            if (problem != null)
            {
                throw origin.error(elements.get(i), path + "[" + i + "]", "invalid node name \"" + node + "\": " + problem);
            }
            if (nodes.contains(node))
            {
                throw origin.error(elements.get(i), path + "[" + i + "]", "duplicate node \"" + node + "\"");
            }
            nodes.add(node);
        }
        return nodes;
    }

    /**
     * {@code namespaces:} as written. {@code default} exists in every Kubernetes cluster, so it is
     * added, without labels, when the file does not declare it.
     */
    private static List<NamespaceSpec> readNamespaces(
        final Origin origin,
        final YamlMap root,
        final Population population) throws ScenarioException
    {
        final List<NamespaceSpec> namespaces = new ArrayList<>();
        if (root.value("namespaces") != null)
        {
            final YamlMap map = YamlMap.of(origin, root.value("namespaces"), "namespaces");
            for (final String name : map.keys())
            {
                final String path = "namespaces[" + name + "]";
                final String problem = KubeSyntax.dns1123LabelProblem(name);
                if (problem != null)
                {
                    throw origin.error(map.keyNode(name), path, "invalid namespace name \"" + name + "\": " + problem);
                }
                Map<String, String> labels = Map.of();
                if (map.value(name) != null)
                {
                    final YamlMap fields = YamlMap.of(origin, map.value(name), path);
                    fields.allowOnly("labels");
                    labels = Values.labels(origin, fields.value("labels"), path + ".labels");
                    KubeObjects.checkMetadataNameLabel(origin, fields.value("labels"), path + ".labels", name, labels);
                }
                namespaces.add(new NamespaceSpec(name, labels, map.keyLocation(name)));
                population.putNamespace(name, labels);
            }
        }
        if (!population.hasNamespace(PodReader.DEFAULT_NAMESPACE))
        {
            final SourceLocation where = origin.location(root.node());
            namespaces.addFirst(new NamespaceSpec(PodReader.DEFAULT_NAMESPACE, Map.of(), where));
            population.putNamespace(PodReader.DEFAULT_NAMESPACE, Map.of());
        }
        return namespaces;
    }

    private static List<HostSpec> readHosts(
        final Origin origin,
        final YamlMap root,
        final ClusterPlan cluster,
        final Population population) throws ScenarioException
    {
        final List<HostSpec> hosts = new ArrayList<>();
        final List<Node> elements = Values.list(origin, root.value("hosts"), "hosts");
        for (int i = 0; i < elements.size(); i++)
        {
            final String path = "hosts[" + i + "]";
            final YamlMap map = YamlMap.of(origin, elements.get(i), path);
            map.allowOnly("name", "ip", "serves");
            final Node nameNode = map.require("name");
            final String name = Values.text(origin, nameNode, map.pathOf("name"));
            final String problem = KubeSyntax.dns1123LabelProblem(name);
            if (problem != null)
            {
                throw origin.error(nameNode, map.pathOf("name"), "invalid host name \"" + name + "\": " + problem);
            }
            final Node ipNode = map.require("ip");
            final String ip = Values.text(origin, ipNode, map.pathOf("ip"));
            final int address = Values.ipv4(origin, ipNode, map.pathOf("ip"));
            if (cluster.podCidr().contains(address))
            {
                throw origin.error(ipNode, map.pathOf("ip"), "host IP " + ip + " is inside the cluster's pod CIDR " +
                    cluster.podCidr() + "; hosts are machines outside the cluster: pick an address outside it");
            }
            if (population.isHost(name))
            {
                throw origin.error(nameNode, map.pathOf("name"), "duplicate host \"" + name + "\"");
            }
            if (!population.addHost(name, address, name))
            {
                throw origin.error(ipNode, map.pathOf("ip"), "IP " + ip + " is already used by host " +
                    population.ownerOf(address));
            }
            final List<ContainerPort> serves = Probes.containerPorts(origin, map.value("serves"), map.pathOf("serves"));
            hosts.add(new HostSpec(name, ip, serves, origin.location(elements.get(i))));
        }
        return hosts;
    }
}
