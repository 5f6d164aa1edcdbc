package dev.podswitch.control;

import dev.podswitch.dataplane.classify.PolicyTable;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Publishes what the data plane reads: every node's forwarding table, rebuilt from where
 * everything is attached ({@link ClusterTables}) under a new generation — which also invalidates
 * every cached per-flow decision at once — and the compiled policy table, swapped into every
 * node. Nodes pick either up at their next batch. Driver thread only.
 */
final class TablePublisher
{
    private final ClusterOptions options;
    private final NodeTopology topology;
    private long generation;

    TablePublisher(final ClusterOptions options, final NodeTopology topology)
    {
        this.options = options;
        this.topology = topology;
    }

    void publishTables(final Collection<Attachment> attachments)
    {
        generation++;
        final List<ClusterTables.Placement> placements = new ArrayList<>(attachments.size());
        for (final Attachment attachment : attachments)
        {
            placements.add(new ClusterTables.Placement(attachment.node(), attachment.binding()));
        }
        for (final ClusterNode node : topology.nodes().values())
        {
            node.datapath().publish(ClusterTables.tableFor(node, generation, options, topology.nodes().values(), placements,
                topology.externalNodes().values()));
        }
    }

    void publishPolicy(final PolicyTable policy)
    {
        for (final ClusterNode node : topology.nodes().values())
        {
            node.datapath().publishPolicy(policy);
        }
    }
}
