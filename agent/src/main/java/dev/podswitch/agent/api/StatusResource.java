package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ModelSnapshot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /status}: the model's revision and counts, each node with its pod CIDR, underlay
 * address and data-plane counters, and what the daemon adds (sockets, CNI attachments).
 */
final class StatusResource
{
    private StatusResource()
    {
    }

    static Map<String, Object> of(final ModelSnapshot snapshot, final Collection<ClusterNode> nodes,
        final Map<String, Object> daemon)
    {
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("revision", snapshot.revision());
        final List<Map<String, Object>> nodeList = new ArrayList<>();
        for (final ClusterNode node : nodes)
        {
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", node.name());
            entry.put("podCIDR", node.podCidr().toString());
            entry.put("underlayAddress", dev.podswitch.ipam.cidr.Ipv4.format(node.vtepIp()));
            if (node.datapath() != null)
            {
                entry.put("counters", counters(node));
            }
            nodeList.add(entry);
        }
        answer.put("nodes", nodeList);
        answer.put("namespaces", snapshot.namespaces().size());
        answer.put("pods", snapshot.pods().size());
        answer.put("hosts", snapshot.hosts().size());
        answer.put("networkPolicies", snapshot.policies().size());
        answer.putAll(daemon);
        return answer;
    }

    /**
     * A node's counters as the pipeline keeps them — read while it runs, so a sum taken now may be
     * off by the frames in flight; {@code received = forwarded + answered + Σ drops} is exact when idle.
     */
    private static Map<String, Object> counters(final ClusterNode node)
    {
        final var counters = node.datapath().counters();
        final Map<String, Object> drops = new LinkedHashMap<>();
        counters.drops().forEach((reason, count) -> drops.put(reason.name(), count));
        final Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("received", counters.receivedCount());
        entry.put("forwarded", counters.forwardedCount());
        entry.put("answered", counters.answeredCount());
        entry.put("dropped", drops);
        final var flows = node.datapath().flows();
        final Map<String, Object> flowLog = new LinkedHashMap<>();
        flowLog.put("capacity", flows.capacity());
        flowLog.put("written", flows.written());
        flowLog.put("overwritten", flows.overwritten());
        flowLog.put("dropsLeftOut", flows.droppedUnrecorded());
        entry.put("flowLog", flowLog);
        return entry;
    }

}
