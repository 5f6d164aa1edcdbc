package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.flows.ClusterFlows;
import dev.podswitch.control.flows.FlowFilter;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.report.Report;
import dev.podswitch.control.report.ReportParts;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.podswitch.agent.api.QueryParameters.number;
import static dev.podswitch.agent.api.QueryParameters.one;

/**
 * {@code GET /apis/podswitch.dev/v1/report}: what {@code podswitch report} draws for a running
 * lab or agent — the cluster's picture, the policies in force, a matrix of every pod (and host)
 * pair judged by those policies through the explain engine (nothing is probed: a running lab's
 * pods are the user's), and the last flows of the flow log. Query: {@code protocol} (TCP, UDP,
 * SCTP or ICMP; TCP), {@code port} (80), {@code namespace} (only that namespace's pods),
 * {@code flows} (how many of the last flows, 40). The answer is a {@link Report}.
 */
final class ReportResource
{
    static final String PATH = "/apis/podswitch.dev/v1/report";
    /** Endpoints beyond which the matrix (their square) is refused rather than sent: narrow it by namespace. */
    static final int MAX_ENDPOINTS = 60;
    private static final int MAX_FLOWS = 1_000;
    private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP", "ICMP");

    private ReportResource()
    {
    }

    static ApiResponse of(final Collection<ClusterNode> running, final List<NodeView> nodeList,
        final ModelSnapshot snapshot, final Map<String, List<String>> query) throws ApiError
    {
        final String protocolText = one(query, "protocol") == null ? "TCP" : one(query, "protocol").toUpperCase(Locale.ROOT);
        if (!PROTOCOLS.contains(protocolText))
        {
            throw ApiError.badRequest("protocol must be TCP, UDP, SCTP or ICMP, not \"" + protocolText + "\"");
        }
        final IpProtocol protocol = IpProtocol.valueOf(protocolText);
        final int port = (int)number(query, "port", 1, 65_535, 80, "a number from 1 to 65535");
        final int flows = (int)number(query, "flows", 0, MAX_FLOWS, ReportParts.FLOWS_PER_STEP, "a number from 0 to " + MAX_FLOWS);
        final String namespace = one(query, "namespace");
        final List<String> endpoints = ReportParts.endpointKeys(snapshot, namespace == null ? Set.of() : Set.of(namespace));
        if (endpoints.size() > MAX_ENDPOINTS)
        {
            throw ApiError.badRequest("the matrix would have " + endpoints.size() + " × " + endpoints.size()
                + " cells; at most " + MAX_ENDPOINTS + " pods and hosts are drawn: narrow it with namespace=");
        }
        final ClusterFlows.Page page = flows == 0 ? null
            : ClusterFlows.read(running, snapshot, Map.of(), flows, FlowFilter.ANY);
        final Report.Step now = new Report.Step("now: the policies in force, every pair judged by them",
            ReportParts.policies(snapshot), List.of(),
            ReportParts.policyMatrix(snapshot.policyCluster(), endpoints, protocol, protocol.hasPorts() ? port : 0),
            page == null ? List.of() : ReportParts.flowLines(page), page == null ? 0 : ReportParts.flowsLeftOut(page));
        final Report.Section section = new Report.Section("the running cluster" + (namespace == null ? "" : ", namespace "
            + namespace), "model revision " + snapshot.revision() + ", " + Instant.now().truncatedTo(ChronoUnit.SECONDS),
            null, ReportParts.topology(nodes(running, nodeList), snapshot, "VXLAN tunnel · UDP 4789"), List.of(now), null,
            true);
        return ApiResponse.ok(new Report("podswitch report", List.of(section)));
    }

    /** The nodes this process runs as they are, and the other hosts' nodes as their leases tell. */
    private static List<Report.Node> nodes(final Collection<ClusterNode> running, final List<NodeView> nodeList)
    {
        final List<Report.Node> nodes = new ArrayList<>();
        running.forEach(node -> nodes.add(Report.Node.of(node)));
        for (final NodeView view : nodeList)
        {
            if (running.stream().noneMatch(node -> node.name().equals(view.name())))
            {
                nodes.add(new Report.Node(view.name(), view.podCidr(), gatewayOf(view.podCidr()), view.underlayAddress()));
            }
        }
        return nodes;
    }

    /** A node's gateway is its pod CIDR's first address, on every node podswitch builds. */
    private static String gatewayOf(final String podCidr)
    {
        try
        {
            return Ipv4.format(Ipv4Cidr.parse(podCidr).firstHost());
        }
        catch (final IllegalArgumentException unreadable)
        {
            return "?";
        }
    }
}
