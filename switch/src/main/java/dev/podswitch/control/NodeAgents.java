package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.agent.Agent;
import dev.podswitch.dataplane.agent.AgentGroup;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.stats.DistinctErrorLog;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Where the nodes' pipelines run ({@link ClusterOptions#threads()}, through an {@link AgentGroup}):
 * on the driver's own thread inside {@link #runUntilIdle()} (0, deterministic), or on N agent
 * threads that run only while the driver is inside {@link #runUntilIdle()} — or all the time
 * while live ({@link #startLive()} until {@link #stopLive()}), as live pods need.
 */
final class NodeAgents
{
    /** How long {@link #runUntilIdle()} waits for datagrams in flight on a UDP underlay. */
    private static final long IDLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final AgentGroup group;
    private final BooleanSupplier quiescent;

    NodeAgents(final ClusterOptions options, final NodeTopology topology, final VxlanUnderlay underlay,
        final DistinctErrorLog errors)
    {
        final List<Agent> agents = new ArrayList<>();
        for (final ClusterNode node : topology.nodes().values())
        {
            agents.add(agentOf(node.datapath()));
        }
        this.group = new AgentGroup("podswitch-nodes", agents, options.threads(), options.idle(), errors);
        // Underlay first: a datagram counts as delivered only once it is in a ring, so the rings are read after.
        this.quiescent = () -> underlay.sentCount() == underlay.deliveredCount() && topology.allRingsEmpty();
    }

    /** NodeDatapath is an agent in all but name: a bounded batch per call, returning the frames handled. */
    private static Agent agentOf(final NodeDatapath datapath)
    {
        return new Agent()
        {
            @Override
            public int doWork()
            {
                return datapath.doWork();
            }

            @Override
            public String name()
            {
                return datapath.name();
            }

            @Override
            public int readinessFd()
            {
                return datapath.readinessFd();
            }
        };
    }

    /**
     * Runs every node's pipeline until nothing is left to do anywhere: rings empty and no VXLAN
     * packet in flight, seen twice in a row (and, with agent threads, once more with every thread
     * stopped, so the answer is exact).
     *
     * @return false if the deadline passed with work still in flight.
     */
    boolean runUntilIdle()
    {
        return group.runUntil(quiescent, IDLE_TIMEOUT_NS);
    }

    void startLive()
    {
        group.release();
    }

    void stopLive()
    {
        group.hold();
    }

    boolean isLive()
    {
        return group.isReleased();
    }

    /** Runs {@code change} with every node thread stopped between batches, then lets them go on if they ran. */
    void whileHeld(final Runnable change)
    {
        final boolean wasLive = group.isReleased();
        if (wasLive)
        {
            group.hold();
        }
        try
        {
            change.run();
        }
        finally
        {
            if (wasLive)
            {
                group.release();
            }
        }
    }

    int threadCount()
    {
        return group.threadCount();
    }

    long errorCount()
    {
        return group.errorCount();
    }

    void close()
    {
        group.close();
    }
}
