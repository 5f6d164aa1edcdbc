package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterConnections;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.Host;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.conntrack.ConntrackEntry;
import dev.podswitch.dataplane.conntrack.ConntrackSnapshot;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /apis/podswitch.dev/v1/connections}: the conntrack tables of the daemon's nodes, one
 * flat object per tracked connection — {@code node}, {@code protocol}, {@code source} and
 * {@code destination} as {@code {ip, port, pod}} (the original direction's tuple; {@code pod} is
 * {@code ns/name} when a pod has the address), {@code state}, {@code ageSeconds} (since the
 * connection's first packet), {@code expiresInSeconds}, {@code zone} (the local endpoint the entry is
 * charged to), {@code admitted} (always {@code ALLOWED}: only connections policy allowed are
 * tracked) and {@code policyGeneration} (the policy it was admitted, or last re-admitted, under).
 *
 * <p>Query: {@code node=N} (one node), {@code namespace=NS} (connections with a pod of NS at either
 * end), {@code limit=N} (entries copied per node, at most {@value ClusterConnections#DEFAULT_LIMIT}).
 * Each node's pipeline thread copies its own table between two batches (the table has no locks); a
 * node that does not within {@link ClusterConnections#DEFAULT_TIMEOUT} is answered 503.
 */
final class ConnectionsResource
{
    static final String PATH = "/apis/podswitch.dev/v1/connections";

    private ConnectionsResource()
    {
    }

    static ApiResponse of(final Collection<ClusterNode> running, final ModelSnapshot snapshot,
        final Map<String, List<String>> query) throws ApiError
    {
        return of(running, snapshot, query, ClusterConnections.DEFAULT_TIMEOUT);
    }

    static ApiResponse of(final Collection<ClusterNode> running, final ModelSnapshot snapshot,
        final Map<String, List<String>> query, final Duration timeout) throws ApiError
    {
        final String nodeName = QueryParameters.one(query, "node");
        final String namespace = QueryParameters.one(query, "namespace");
        final int limit = (int)QueryParameters.number(query, "limit", 1, ClusterConnections.DEFAULT_LIMIT,
            ClusterConnections.DEFAULT_LIMIT, "a number from 1 to " + ClusterConnections.DEFAULT_LIMIT);
        final List<ClusterNode> nodes = new ArrayList<>();
        for (final ClusterNode node : running)
        {
            if (node.datapath() != null && (nodeName == null || node.name().equals(nodeName)))
            {
                nodes.add(node);
            }
        }
        if (nodes.isEmpty())
        {
            throw ApiError.notFound(nodeName == null
                ? "this process runs no node, and connections are tracked in the nodes' data planes: ask an agent or "
                    + "an up lab (--socket), not the datastore"
                : "nodes \"" + nodeName + "\" not found among the nodes this process runs: "
                    + running.stream().map(ClusterNode::name).toList());
        }
        final Map<String, ConntrackSnapshot> copies;
        try
        {
            copies = ClusterConnections.request(nodes, limit, timeout);
        }
        catch (final ClusterConnections.Unavailable unavailable)
        {
            throw new ApiError(503, "ServiceUnavailable", unavailable.getMessage());
        }
        final Names names = new Names(snapshot);
        final List<Row> rows = new ArrayList<>();
        final List<Map<String, Object>> nodeSummaries = new ArrayList<>();
        boolean truncated = false;
        for (final ClusterNode node : nodes)
        {
            final ConntrackSnapshot copy = copies.get(node.name());
            final long currentGeneration = node.datapath().policy().generation();
            int listed = 0;
            for (final ConntrackEntry entry : copy.entries())
            {
                if (namespace == null || names.inNamespace(entry.source(), namespace)
                    || names.inNamespace(entry.destination(), namespace))
                {
                    rows.add(new Row(node.name(), entry, item(node.name(), copy, entry, names, currentGeneration)));
                    listed++;
                }
            }
            truncated |= copy.truncated();
            final Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("name", node.name());
            summary.put("listed", listed);
            summary.put("held", copy.held());
            summary.put("capacity", copy.capacity());
            summary.put("zoneLimit", copy.zoneLimit());
            summary.put("truncated", copy.truncated());
            summary.put("policyGeneration", currentGeneration);
            nodeSummaries.add(summary);
        }
        rows.sort(ORDER);
        final List<Map<String, Object>> items = new ArrayList<>(rows.size());
        rows.forEach(row -> items.add(row.item()));
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("apiVersion", "podswitch.dev/v1");
        answer.put("kind", "ConnectionList");
        answer.put("items", items);
        answer.put("nodes", nodeSummaries);
        answer.put("truncated", truncated);
        answer.put("limit", limit);
        return ApiResponse.ok(answer);
    }

    /** By node, protocol, source address and port (unsigned), destination address and port. */
    private static final Comparator<Row> ORDER = Comparator.comparing(Row::node)
        .thenComparingInt(row -> row.entry().protocol())
        .thenComparingLong(row -> Integer.toUnsignedLong(row.entry().source()))
        .thenComparingInt(row -> row.entry().sourcePort())
        .thenComparingLong(row -> Integer.toUnsignedLong(row.entry().destination()))
        .thenComparingInt(row -> row.entry().destinationPort());

    private record Row(String node, ConntrackEntry entry, Map<String, Object> item)
    {
    }

    private static Map<String, Object> item(final String node, final ConntrackSnapshot copy, final ConntrackEntry entry,
        final Names names, final long currentGeneration)
    {
        final int protocol = entry.protocol();
        final boolean ports = IpProtocol.hasPorts(protocol);
        final Map<String, Object> item = new LinkedHashMap<>();
        item.put("node", node);
        item.put("protocol", protocolName(protocol));
        item.put("source", endpoint(entry.source(), ports ? entry.sourcePort() : null, names));
        item.put("destination", endpoint(entry.destination(), ports ? entry.destinationPort() : null, names));
        if (protocol == 1)
        {
            item.put("icmpId", entry.sourcePort());
        }
        item.put("state", entry.state());
        item.put("assured", entry.assured());
        item.put("seenReply", entry.seenReply());
        item.put("ageSeconds", copy.ageSeconds(entry));
        item.put("expiresInSeconds", copy.expiresInSeconds(entry));
        item.put("zone", names.zone(entry.zone()));
        item.put("admitted", "ALLOWED");
        item.put("policyGeneration", entry.policyGeneration());
        item.put("policyChangedSince", entry.policyGeneration() != currentGeneration);
        final Map<String, Object> packets = new LinkedHashMap<>();
        packets.put("original", entry.packetsOriginal());
        packets.put("reply", entry.packetsReply());
        item.put("packets", packets);
        return item;
    }

    static String protocolName(final int protocol)
    {
        return switch (protocol)
        {
            case 1 -> "ICMP";
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 132 -> "SCTP";
            default -> "IP-" + protocol;
        };
    }

    private static Map<String, Object> endpoint(final int ip, final Integer port, final Names names)
    {
        final Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("ip", Ipv4.format(ip));
        endpoint.put("port", port);
        endpoint.put("pod", names.pod(ip));
        final String host = names.host(ip);
        if (host != null)
        {
            endpoint.put("host", host);
        }
        return endpoint;
    }

    /** The model's pods and hosts by address, read once per answer. */
    private static final class Names
    {
        private final Map<Integer, Pod> podByIp = new HashMap<>();
        private final Map<Integer, Host> hostByIp = new HashMap<>();

        Names(final ModelSnapshot snapshot)
        {
            snapshot.pods().values().forEach(pod -> podByIp.put(pod.ip(), pod));
            snapshot.hosts().values().forEach(host -> hostByIp.put(host.ip(), host));
        }

        String pod(final int ip)
        {
            final Pod pod = podByIp.get(ip);
            return pod == null ? null : pod.key();
        }

        String host(final int ip)
        {
            final Host host = hostByIp.get(ip);
            return host == null ? null : host.name();
        }

        boolean inNamespace(final int ip, final String namespace)
        {
            final Pod pod = podByIp.get(ip);
            return pod != null && pod.namespace().equals(namespace);
        }

        /** The pod or host a zone is (its address), its address if neither, or {@code foreign}/{@code none}. */
        String zone(final int zone)
        {
            if (zone == ConnectionTracker.NO_ZONE)
            {
                return "none";
            }
            if (zone == ConnectionTracker.FOREIGN_ZONE)
            {
                return "foreign";
            }
            final String pod = pod(zone);
            final String host = host(zone);
            return pod != null ? pod : host != null ? host : Ipv4.format(zone);
        }
    }
}
