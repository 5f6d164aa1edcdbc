package dev.podswitch.cli;

import dev.podswitch.agent.NodeAgent;
import dev.podswitch.agent.ServedCluster;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.live.LiveEndpoints;
import dev.podswitch.scenarios.live.LiveMode;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.Lab;

/**
 * A scenario's cluster brought up live for a daemon to serve: the command line is the one place
 * that knows both the scenario runner and the daemon, so it is where they meet.
 */
public final class ScenarioCluster
{
    private ScenarioCluster()
    {
    }

    public static NodeAgent.ClusterFactory live(final Scenario scenario, final ClusterOptions.Underlay underlay,
        final IdleMode idle)
    {
        return ipam ->
        {
            final Lab lab = new Lab(scenario, underlay, LiveMode.threads(scenario, 0), idle, LiveMode::liveFrames, ipam,
                LiveEndpoints::new);
            return new ServedCluster(lab.cluster(), lab.model(), lab);
        };
    }
}
