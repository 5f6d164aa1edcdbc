package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.explain.PolicyExplainer;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.StepAction;

import java.util.List;

/**
 * {@code podswitch explain} on a scenario file: replays its actions up to a step, then asks the
 * explain engine ({@link PolicyExplainer}) why one packet is allowed or denied.
 */
public final class Explainer
{
    private Explainer()
    {
    }

    /**
     * @param step 1-based; the state after that step's actions, as its probes see it.
     */
    public static List<String> explain(final Scenario scenario, final int step, final String from, final String to,
        final IpProtocol protocol, final int port)
    {
        if (step < 1 || step > scenario.steps().size())
        {
            throw new IllegalArgumentException("--step " + step + " is out of range: the scenario has "
                + scenario.steps().size() + " step(s), numbered from 1");
        }
        try (Lab lab = new Lab(scenario, ClusterOptions.Underlay.MEMORY))
        {
            for (int i = 0; i < step; i++)
            {
                for (final StepAction action : scenario.steps().get(i).actions())
                {
                    ScenarioRunner.apply(lab, action);
                }
            }
            final PolicyCluster cluster = lab.policyCluster();
            return PolicyExplainer.explain(cluster,
                PolicyExplainer.endpoint(cluster, from, "--from"),
                PolicyExplainer.endpoint(cluster, to, "--to"), protocol, port,
                "after step " + step + " '" + scenario.steps().get(step - 1).name() + "'").lines();
        }
    }
}
