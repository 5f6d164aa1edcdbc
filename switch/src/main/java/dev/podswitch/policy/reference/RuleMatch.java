package dev.podswitch.policy.reference;

/**
 * Which rule of which policy matched: indices into {@code spec.ingress} / {@code spec.egress},
 * its {@code from}/{@code to} list (-1 when the rule has no peers: every peer) and its
 * {@code ports} list (-1 when the rule has no ports: every port and protocol).
 */
public record RuleMatch(String policy, String field, int rule, int peer, int port)
{
    /** {@code default/db-policy spec.ingress[0].from[1] ports[0]}. */
    public String describe()
    {
        final String peerList = field.equals("ingress") ? "from" : "to";
        return policy + " spec." + field + "[" + rule + "]"
            + (peer < 0 ? " (no " + peerList + ": every peer)" : "." + peerList + "[" + peer + "]")
            + (port < 0 ? " (no ports: every port and protocol)" : " ports[" + port + "]");
    }
}
