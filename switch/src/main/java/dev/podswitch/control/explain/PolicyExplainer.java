package dev.podswitch.control.explain;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.Traffic;
import dev.podswitch.policy.reference.DirectionDecision;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import dev.podswitch.policy.reference.Verdict;

import java.util.ArrayList;
import java.util.List;

/**
 * The explain engine: asks the reference evaluator — the specification, literally, not the
 * compiled classifier — why traffic between two endpoints of a cluster is allowed or denied, and
 * says it in sentences. {@code podswitch explain}, the report's cells and the control API all ask
 * here, so they can never tell different stories.
 */
public final class PolicyExplainer
{
    private PolicyExplainer()
    {
    }

    /** The endpoint ({@code namespace/name} for a pod, a host's name) or an error naming {@code option} and what is known. */
    public static PolicyEndpoint endpoint(final PolicyCluster cluster, final String key, final String option)
    {
        for (final PolicyEndpoint endpoint : cluster.endpoints())
        {
            if (endpoint.key().equals(key))
            {
                return endpoint;
            }
        }
        final List<String> known = cluster.endpoints().stream().map(PolicyEndpoint::key).toList();
        throw new IllegalArgumentException(option + " " + key + ": no such pod (namespace/name) or host; known: " + known);
    }

    /**
     * @param when what the first line says of the moment, e.g. {@code after step 2 'deny'}; empty for none
     */
    public static Explanation explain(final PolicyCluster cluster, final PolicyEndpoint source,
        final PolicyEndpoint destination, final IpProtocol protocol, final int port, final String when)
    {
        final Verdict verdict = ReferenceEvaluator.evaluate(cluster,
            Traffic.of(source.ip(), destination.ip(), protocol, port));
        final List<String> lines = new ArrayList<>();
        final String probe = protocol.probeLabel(port);
        lines.add(probe + " from " + source.key() + " (" + Ipv4.format(source.ip()) + ") to " + destination.key() + " ("
            + Ipv4.format(destination.ip()) + ")" + (when.isEmpty() ? "" : " " + when) + ": "
            + (verdict.allowed() ? "ALLOWED" : "DENIED"));
        describe(lines, "egress, at the sender's node", verdict.egress(), source.key());
        describe(lines, "ingress, at the receiver's node", verdict.ingress(), destination.key());
        return Explanation.of(verdict, lines);
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
