package dev.podswitch.scenarios.live;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.ScenarioRunner;

/**
 * {@code podswitch run --live}: the emulated runner's flow — same cluster, same compiled policy
 * and conntrack, same actions in the same order, same report — with live namespaces for pods and
 * hosts and kernel sockets for probes. The node agents must run on threads of their own while
 * kernels send at any time, so the live mode never uses the runner's own thread for the nodes.
 */
public final class LiveMode
{
    /** Node threads when none are asked for: one per node, at most two (the machines this targets have 2 cores). */
    static final int DEFAULT_MAX_THREADS = 2;

    static final int LIVE_RING_SIZE = 512;

    private LiveMode()
    {
    }

    /** Node agent threads for a live run: {@code requested} if positive, else one per node up to two. */
    public static int threads(final Scenario scenario, final int requested)
    {
        return requested > 0 ? requested : Math.min(DEFAULT_MAX_THREADS, scenario.cluster().nodes().size());
    }

    /** A runner whose labs are live; call {@link LiveSupport#requireSupported} first. */
    public static ScenarioRunner runner(final Scenario scenario, final ClusterOptions.Underlay underlay,
        final int requestedThreads, final IdleMode idle, final RunListener listener)
    {
        return new ScenarioRunner(underlay, threads(scenario, requestedThreads), idle, listener)
            .withEndpoints(LiveEndpoints::new)
            .withClusterTuning(LiveMode::liveFrames);
    }

    /**
     * Live nodes' rings: slots for the 64 KiB TCP super-frames TAP devices with TSO hand over, and
     * fewer of them than emulated nodes have (kernel stacks pace themselves; 512 x 64 KiB = 32 MiB a node).
     */
    public static ClusterOptions liveFrames(final ClusterOptions options)
    {
        return options.withFrames(LIVE_RING_SIZE, Frame.OFFLOAD_CAPACITY);
    }

    /**
     * Runs one scenario live.
     *
     * @throws dev.podswitch.scenarios.run.UnsupportedScenarioException when it probes SCTP on a machine
     *     where live SCTP cannot work (see {@link LiveSupport#requireSupported}).
     */
    public static ScenarioResult run(final Scenario scenario, final ClusterOptions.Underlay underlay,
        final RunListener listener)
    {
        LiveSupport.requireSupported(scenario);
        return runner(scenario, underlay, 0, IdleMode.BLOCKING, listener).run(scenario);
    }
}
