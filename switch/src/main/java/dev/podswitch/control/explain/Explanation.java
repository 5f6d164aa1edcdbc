package dev.podswitch.control.explain;

import dev.podswitch.policy.reference.DirectionDecision;
import dev.podswitch.policy.reference.RuleMatch;
import dev.podswitch.policy.reference.Verdict;

import java.util.List;

/**
 * Why one packet is allowed or denied, as the reference evaluator decides it, in a shape that
 * travels: to {@code podswitch explain}'s lines, to the report's cells, to the API as JSON. Both
 * directions are always there, because a teacher's question is usually "which side said no?".
 *
 * @param allowed whether traffic flows: both directions allow it
 * @param egress  the decision at the sender's node
 * @param ingress the decision at the receiver's node
 * @param lines   the same explanation as sentences, as {@code podswitch explain} prints them
 */
public record Explanation(boolean allowed, Side egress, Side ingress, List<String> lines)
{
    public Explanation
    {
        lines = List.copyOf(lines);
    }

    /**
     * One direction.
     *
     * @param direction  {@code egress} or {@code ingress}
     * @param pod        the pod whose policies decide, or null when that end is not a pod
     * @param selecting  every policy whose podSelector selects the pod
     * @param isolating  the selecting policies that have this direction in their policyTypes
     * @param allowedBy  the rule that allowed the packet, or null (not isolated, or nothing matched)
     */
    public record Side(String direction, boolean allowed, String pod, List<String> selecting, List<String> isolating,
        Rule allowedBy)
    {
        public Side
        {
            selecting = List.copyOf(selecting);
            isolating = List.copyOf(isolating);
        }

        static Side of(final DirectionDecision decision)
        {
            final RuleMatch match = decision.allowedBy();
            return new Side(decision.direction().apiName(), decision.allowed(), decision.pod(), decision.selecting(),
                decision.isolating(), match == null ? null
                    : new Rule(match.policy(), match.field(), match.rule(), match.peer(), match.port(), match.describe()));
        }
    }

    /**
     * A rule of a policy: {@code spec.<field>[rule]}, its peer {@code from/to[peer]} (-1: the rule
     * names no peers, so every peer) and its {@code ports[port]} (-1: every port and protocol).
     */
    public record Rule(String policy, String field, int rule, int peer, int port, String text)
    {
    }

    static Explanation of(final Verdict verdict, final List<String> lines)
    {
        return new Explanation(verdict.allowed(), Side.of(verdict.egress()), Side.of(verdict.ingress()), lines);
    }
}
