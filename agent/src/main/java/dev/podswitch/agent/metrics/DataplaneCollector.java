package dev.podswitch.agent.metrics;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.conntrack.ConntrackCounters;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.dataplane.stats.PolicyVerdictCounters;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The data plane's metrics, read from each node's own counters when Prometheus scrapes — nothing
 * is counted for metrics on the packet path, which keeps its single-writer counters. Every counter
 * read here is one the data plane documents as readable from any thread; while frames flow, the
 * values of one scrape are each exact but not taken at one instant.
 */
public final class DataplaneCollector implements MultiCollector
{
    private static final DropReason[] REASONS = DropReason.values();

    private final Supplier<? extends Collection<ClusterNode>> nodes;

    /** @param nodes the nodes this process runs, asked at every scrape (a cluster's nodes may change). */
    public DataplaneCollector(final Supplier<? extends Collection<ClusterNode>> nodes)
    {
        this.nodes = nodes;
    }

    @Override
    public MetricSnapshots collect()
    {
        final Family forwarded = Family.counter("podswitch_forwarded_packets",
            "Frames the node forwarded out of a port (pod, host or tunnel).");
        final Family received = Family.counter("podswitch_received_packets",
            "Frames the node received (= forwarded + answered + dropped, when idle).");
        final Family answered = Family.counter("podswitch_answered_packets",
            "Frames the switch answered itself (gateway ARP, ping to the gateway).");
        final Family dropped = Family.counter("podswitch_dropped_packets",
            "Frames the node dropped, by reason (every reason listed, zeros included).");
        final Family verdicts = Family.counter("podswitch_policy_verdicts",
            "NetworkPolicy judgements of the first packet of a connection, by direction and action.");
        final Family conntrackEntries = Family.gauge("podswitch_conntrack_entries",
            "Connections the node's conntrack table holds (expired ones not yet swept included).");
        final Family conntrackCapacity = Family.gauge("podswitch_conntrack_capacity",
            "Entries the node's conntrack table can hold.");
        final Family evictions = Family.counter("podswitch_conntrack_evictions",
            "Live conntrack entries displaced by a new connection (the table was full where it probed).");
        final Family occupancy = Family.gauge("podswitch_ring_occupancy",
            "Receive ring slots in use now: frames waiting for the node's pipeline.");
        final Family slots = Family.gauge("podswitch_ring_slots", "Receive ring slots of the node.");
        final Family flowRecords = Family.counter("podswitch_flow_log_records",
            "Records the node's flow log was written (first packets of new connections forwarded, drops).");
        final Family flowOverwritten = Family.counter("podswitch_flow_log_overwritten",
            "Flow log records the ring went round over before any reader could take them.");
        final Family flowLeftOut = Family.counter("podswitch_flow_log_drops_left_out",
            "Drops the flow log's per-reason, per-source rate limit did not record.");
        final Family flowOccupancy = Family.gauge("podswitch_flow_log_occupancy",
            "Records the node's flow log holds now (at most its capacity).");
        for (final ClusterNode node : nodes.get())
        {
            final NodeDatapath datapath = node.datapath();
            if (datapath == null)
            {
                continue; // another host's node, known by its lease: its own agent exports it.
            }
            final String name = node.name();
            final DatapathCounters counters = datapath.counters();
            received.add(counters.receivedCount(), "node", name);
            forwarded.add(counters.forwardedCount(), "node", name);
            answered.add(counters.answeredCount(), "node", name);
            for (final DropReason reason : REASONS)
            {
                dropped.add(counters.droppedCount(reason), "node", name, "reason", reason.name());
            }
            final PolicyVerdictCounters judged = datapath.policyVerdicts();
            for (final PolicyVerdictCounters.Direction direction : PolicyVerdictCounters.Direction.values())
            {
                for (final PolicyVerdictCounters.Action action : PolicyVerdictCounters.Action.values())
                {
                    verdicts.add(judged.get(direction, action), "node", name,
                        "direction", direction.name().toLowerCase(Locale.ROOT),
                        "action", action.name().toLowerCase(Locale.ROOT));
                }
            }
            final ConntrackCounters tracked = datapath.connections().counters();
            conntrackEntries.add(ConntrackReading.entries(tracked), "node", name);
            conntrackCapacity.add(datapath.connections().capacity(), "node", name);
            evictions.add(tracked.evictions(), "node", name);
            occupancy.add(datapath.ring().occupancy(), "node", name);
            slots.add(datapath.ring().slots(), "node", name);
            final var flows = datapath.flows();
            flowRecords.add(flows.written(), "node", name);
            flowOverwritten.add(flows.overwritten(), "node", name);
            flowLeftOut.add(flows.droppedUnrecorded(), "node", name);
            flowOccupancy.add(Math.min(flows.written(), flows.capacity()), "node", name);
        }
        return new MetricSnapshots(List.of(received.build(), forwarded.build(), answered.build(), dropped.build(),
            verdicts.build(), conntrackEntries.build(), conntrackCapacity.build(), evictions.build(), occupancy.build(),
            slots.build(), flowRecords.build(), flowOverwritten.build(), flowLeftOut.build(), flowOccupancy.build()));
    }
}
