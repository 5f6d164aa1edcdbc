package dev.podswitch.control.report;

import dev.podswitch.control.explain.Explanation;
import dev.podswitch.control.explain.PolicyExplainer;
import dev.podswitch.control.flows.ClusterFlows;
import dev.podswitch.control.flows.FlowLines;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.StoredPolicy;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.PolicyCluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The pieces of a {@link Report} that come from the cluster model and the flow log — the same for
 * a scenario run and a running lab, so both pages say the same things the same way.
 */
public final class ReportParts
{
    /** The flows a step lists at most; a step that saw more says how many it left out. */
    public static final int FLOWS_PER_STEP = 40;

    private ReportParts()
    {
    }

    public static Report.Topology topology(final List<Report.Node> nodes, final ModelSnapshot snapshot,
        final String tunnel)
    {
        final List<Report.Pod> pods = new ArrayList<>();
        snapshot.pods().values().forEach(pod ->
            pods.add(new Report.Pod(pod.namespace(), pod.name(), pod.node(), pod.ipText(), pod.labels())));
        final List<Report.Host> hosts = new ArrayList<>();
        snapshot.hosts().values().forEach(host -> hosts.add(new Report.Host(host.name(), host.node(), host.ipText())));
        return new Report.Topology(nodes, pods, hosts, tunnel);
    }

    /** The policies in force, as they were applied. */
    public static List<Report.Policy> policies(final ModelSnapshot snapshot)
    {
        final List<Report.Policy> policies = new ArrayList<>();
        for (final StoredPolicy stored : snapshot.policies().values())
        {
            policies.add(new Report.Policy(stored.key(), stored.manifest()));
        }
        return policies;
    }

    /** The explain engine's account of {@code from → to}, null when either end is not in the cluster. */
    public static Explanation explain(final PolicyCluster cluster, final String from, final String to,
        final IpProtocol protocol, final int port)
    {
        try
        {
            return PolicyExplainer.explain(cluster, PolicyExplainer.endpoint(cluster, from, "from"),
                PolicyExplainer.endpoint(cluster, to, "to"), protocol, port, "");
        }
        catch (final IllegalArgumentException unknownEnd)
        {
            return null;
        }
    }

    /**
     * Every pair of {@code endpoints} judged by the policy alone — what a running lab's page shows,
     * where nothing was probed.
     */
    public static Report.Matrix policyMatrix(final PolicyCluster cluster, final List<String> endpoints,
        final IpProtocol protocol, final int port)
    {
        final String probe = protocol.probeLabel(port);
        final List<Report.Cell> cells = new ArrayList<>(endpoints.size() * endpoints.size());
        for (final String from : endpoints)
        {
            for (final String to : endpoints)
            {
                if (from.equals(to))
                {
                    continue;
                }
                final Explanation explanation = explain(cluster, from, to, protocol, port);
                cells.add(new Report.Cell(from, to, probe, false, explanation != null && explanation.allowed(), null, null,
                    null, explanation));
            }
        }
        return new Report.Matrix(probe, endpoints, endpoints, cells);
    }

    /** A step's flows from the log, one compact line each (as {@code podswitch observe} prints them), at most {@link #FLOWS_PER_STEP}. */
    public static List<String> flowLines(final ClusterFlows.Page page)
    {
        final List<Map<String, Object>> flows = page.flows();
        final List<String> lines = new ArrayList<>(Math.min(flows.size(), FLOWS_PER_STEP));
        for (int i = Math.max(0, flows.size() - FLOWS_PER_STEP); i < flows.size(); i++)
        {
            lines.add(FlowLines.compact(flows.get(i)));
        }
        return lines;
    }

    /** How many of a page's flows {@link #flowLines} leaves out (the oldest). */
    public static long flowsLeftOut(final ClusterFlows.Page page)
    {
        return Math.max(0, page.flows().size() - FLOWS_PER_STEP);
    }

    /** Keys of the endpoints a page about a running cluster lists: pods then hosts, as the model has them. */
    public static List<String> endpointKeys(final ModelSnapshot snapshot, final Collection<String> namespaces)
    {
        final List<String> keys = new ArrayList<>();
        snapshot.pods().values().stream().filter(pod -> namespaces.isEmpty() || namespaces.contains(pod.namespace()))
            .forEach(pod -> keys.add(pod.key()));
        if (namespaces.isEmpty())
        {
            keys.addAll(snapshot.hosts().keySet());
        }
        return keys;
    }
}
