package dev.podswitch.control.flows;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.dataplane.flow.FlowLog;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the flow logs of every node a process runs, as one stream in time order: from a cursor
 * (where each node's log was read up to) or the last N that match a filter. What {@code GET
 * /apis/podswitch.dev/v1/flows}, {@code podswitch observe} and {@code run --flows} read through.
 */
public final class ClusterFlows
{
    /** At most this many flows in one answer (a follower asks again with the cursor). */
    public static final int MAX_PAGE = 5000;

    /**
     * @param flows       in time order, rendered.
     * @param next        per node, the sequence to read from next time.
     * @param overwritten records the nodes' rings went round over (lost to any reader), in all.
     * @param leftOut     drops the per-reason, per-source rate limit did not record, in all.
     */
    public record Page(List<Map<String, Object>> flows, Map<String, Long> next, long overwritten, long leftOut)
    {
    }

    private ClusterFlows()
    {
    }

    /**
     * @param from  per node, where to start (a node missing: from its oldest record held).
     * @param last  keep only the last {@code last} matching flows (0: all of them, at most {@link #MAX_PAGE} records
     *              read from each node).
     */
    public static Page read(final Collection<ClusterNode> nodes, final ModelSnapshot snapshot, final Map<String, Long> from,
        final int last, final FlowFilter filter)
    {
        final List<Timed> matching = new ArrayList<>();
        final Map<String, Long> next = new LinkedHashMap<>();
        long overwritten = 0;
        long leftOut = 0;
        for (final ClusterNode node : nodes)
        {
            if (node.datapath() == null)
            {
                continue; // another host's node, known by its lease: its own daemon has its flow log.
            }
            final FlowLog log = node.datapath().flows();
            final FlowView view = new FlowView(snapshot, node.datapath().policy().generation());
            final long start = from.getOrDefault(node.name(), 0L);
            final long end = log.read(start, last > 0 ? log.capacity() : MAX_PAGE, record ->
            {
                final Map<String, Object> flow = view.render(node.name(), record);
                if (filter.matches(flow))
                {
                    matching.add(new Timed(record.timeNs, flow));
                }
            });
            next.put(node.name(), end);
            overwritten += log.overwritten();
            leftOut += log.droppedUnrecorded();
        }
        matching.sort(Comparator.comparingLong(Timed::timeNs));
        // Each node gave at most MAX_PAGE records, and its cursor stands right after them: all are kept.
        final int keep = last > 0 ? Math.min(last, matching.size()) : matching.size();
        final List<Map<String, Object>> flows = new ArrayList<>(keep);
        for (final Timed timed : matching.subList(matching.size() - keep, matching.size()))
        {
            flows.add(timed.flow());
        }
        return new Page(flows, next, overwritten, leftOut);
    }

    private record Timed(long timeNs, Map<String, Object> flow)
    {
    }
}
