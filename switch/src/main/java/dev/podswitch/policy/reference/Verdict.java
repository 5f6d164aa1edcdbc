package dev.podswitch.policy.reference;

/**
 * Whether traffic may flow, and why: the egress decision at the sender's node and the ingress
 * decision at the receiver's node. Traffic flows when both allow it.
 */
public record Verdict(DirectionDecision egress, DirectionDecision ingress)
{
    public boolean allowed()
    {
        return egress.allowed() && ingress.allowed();
    }
}
