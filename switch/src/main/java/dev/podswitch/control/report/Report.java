package dev.podswitch.control.report;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.explain.Explanation;
import dev.podswitch.ipam.cidr.Ipv4;

import java.util.List;
import java.util.Map;

/**
 * What the teaching report shows, whoever produced it: a scenario run ({@code run --report}, one
 * section a scenario, its steps probed) or a running lab ({@code podswitch report}, one section,
 * one step: "now", verdicts from the policy alone). Plain records, so the daemon can send it as
 * JSON and the command line render it.
 */
public record Report(String title, List<Section> sections)
{
    public Report
    {
        sections = List.copyOf(sections);
    }

    /** One cluster: where it came from, what it looks like, what happened step by step, and a closing line. */
    public record Section(String name, String source, String description, Topology topology, List<Step> steps,
        String summary, boolean passed)
    {
        public Section
        {
            steps = List.copyOf(steps);
        }
    }

    /** What the topology picture draws. */
    public record Topology(List<Node> nodes, List<Pod> pods, List<Host> hosts, String tunnel)
    {
        public Topology
        {
            nodes = List.copyOf(nodes);
            pods = List.copyOf(pods);
            hosts = List.copyOf(hosts);
        }
    }

    /** A node: its pod CIDR, gateway and VTEP (its underlay address on a multi-host cluster). */
    public record Node(String name, String podCidr, String gateway, String vtep)
    {
        public static Node of(final ClusterNode node)
        {
            return new Node(node.name(), node.podCidr().toString(), Ipv4.format(node.gatewayIp()),
                Ipv4.format(node.vtepIp()));
        }
    }

    public record Pod(String namespace, String name, String node, String ip, Map<String, String> labels)
    {
        public String key()
        {
            return namespace + "/" + name;
        }
    }

    /** An external host; {@code node} is the node it hangs off, or null for one out in the world. */
    public record Host(String name, String node, String ip)
    {
    }

    /**
     * One step: the policies in force after its actions (as applied, for the YAML), its single
     * probes, its matrix (or null), and what the flow log recorded during it.
     */
    public record Step(String name, List<Policy> policies, List<Cell> probes, Matrix matrix, List<String> flows,
        long flowsLeftOut)
    {
        public Step
        {
            policies = List.copyOf(policies);
            probes = List.copyOf(probes);
            flows = List.copyOf(flows);
        }
    }

    /** A NetworkPolicy as it was applied: {@code ns/name} and the manifest's maps, lists and scalars. */
    public record Policy(String key, Map<String, Object> manifest)
    {
    }

    /** A connectivity matrix: rows send, columns receive, one probe kind ({@code TCP/80}). */
    public record Matrix(String probe, List<String> sources, List<String> destinations, List<Cell> cells)
    {
        public Matrix
        {
            sources = List.copyOf(sources);
            destinations = List.copyOf(destinations);
            cells = List.copyOf(cells);
        }
    }

    /**
     * One pair. {@code allowed} is what a probe saw when {@code probed}, else what the policy
     * says; {@code expected} is the scenario's expectation (null: none); {@code answer} and
     * {@code sourceIpSeen} are what came back and the source address the receiver saw (null when
     * not probed or nothing arrived); {@code explanation} is the explain engine's account.
     */
    public record Cell(String from, String to, String probe, boolean probed, boolean allowed, Boolean expected,
        String answer, String sourceIpSeen, Explanation explanation)
    {
        public boolean isMismatch()
        {
            return expected != null && expected != allowed;
        }
    }
}
