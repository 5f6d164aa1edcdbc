package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.Traffic;
import dev.podswitch.policy.reference.DirectionDecision;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import dev.podswitch.policy.reference.Verdict;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.StepAction;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code podswitch explain}: replays a scenario's actions up to a step, then asks the reference
 * evaluator — the specification, literally — why one packet is allowed or denied: the egress
 * decision at the sender's node and the ingress decision at the receiver's node.
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
            final PolicyEndpoint source = endpoint(cluster, from, "--from");
            final PolicyEndpoint destination = endpoint(cluster, to, "--to");
            final Verdict verdict = ReferenceEvaluator.evaluate(cluster,
                Traffic.of(source.ip(), destination.ip(), protocol, port));
            final List<String> lines = new ArrayList<>();
            final String probe = protocol.hasPorts() ? protocol + "/" + port : protocol.name();
            lines.add(probe + " from " + from + " (" + Ipv4.format(source.ip()) + ") to " + to + " ("
                + Ipv4.format(destination.ip()) + ") after step " + step + " '" + scenario.steps().get(step - 1).name()
                + "': " + (verdict.allowed() ? "ALLOWED" : "DENIED"));
            describe(lines, "egress, at the sender's node", verdict.egress(), from);
            describe(lines, "ingress, at the receiver's node", verdict.ingress(), to);
            return lines;
        }
    }

    private static PolicyEndpoint endpoint(final PolicyCluster cluster, final String name, final String option)
    {
        for (final PolicyEndpoint endpoint : cluster.endpoints())
        {
            if (endpoint.key().equals(name))
            {
                return endpoint;
            }
        }
        final List<String> known = cluster.endpoints().stream().map(PolicyEndpoint::key).toList();
        throw new IllegalArgumentException(option + " " + name + ": no such pod (namespace/name) or host at that step; "
            + "known: " + known);
    }

    private static void describe(final List<String> lines, final String title, final DirectionDecision decision,
        final String end)
    {
        lines.add("");
        lines.add("  " + title + ": " + (decision.allowed() ? "allowed" : "DENIED"));
        if (decision.pod() == null)
        {
            lines.add("    " + end + " is not a pod: no NetworkPolicy applies to it");
            return;
        }
        lines.add("    policies selecting " + decision.pod() + ": "
            + (decision.selecting().isEmpty() ? "none" : String.join(", ", decision.selecting())));
        if (!decision.isolated())
        {
            lines.add("    not isolated for " + decision.direction().apiName() + " (no selecting policy has "
                + decision.direction().apiName() + " in its policyTypes): everything is allowed");
            return;
        }
        lines.add("    isolated for " + decision.direction().apiName() + " by: " + String.join(", ", decision.isolating()));
        if (decision.allowedBy() != null)
        {
            lines.add("    allowed by " + decision.allowedBy().describe());
        }
        else
        {
            lines.add("    no rule of those policies matches this peer and port, so it is denied");
        }
    }
}
