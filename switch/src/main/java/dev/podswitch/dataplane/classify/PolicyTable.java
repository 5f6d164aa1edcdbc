package dev.podswitch.dataplane.classify;

import dev.podswitch.util.IntHashMap;

/**
 * The compiled NetworkPolicy of a whole cluster, as the data plane reads it: for every pod IP,
 * its security identity (pods with the same namespace and labels share one) and its ingress and
 * egress rules. Addresses that are not pods (hosts, anything else) have identity
 * {@link #WORLD_IDENTITY}, which only ipBlock ranges can match. Immutable; on every change the
 * control plane publishes a new one that shares every rule the change did not touch (the
 * incremental compiler copies on write), and the pipeline picks it up between batches.
 *
 * <p>A decision is two hash probes and two rule lookups, whatever the number of policies.
 */
public final class PolicyTable
{
    public static final int WORLD_IDENTITY = 0;
    public static final int ALLOW = 0;
    public static final int DENY_EGRESS = 1;
    public static final int DENY_INGRESS = 2;
    public static final PolicyTable ALLOW_ALL = new PolicyTable(0, new IntHashMap<>(1));

    private final long generation;
    private final IntHashMap<EndpointRules> rulesByIp;

    /** A pod's identity and its rules. */
    public record EndpointRules(int identity, DirectionRules ingress, DirectionRules egress)
    {
    }

    public PolicyTable(final long generation, final IntHashMap<EndpointRules> rulesByIp)
    {
        this.generation = generation;
        this.rulesByIp = rulesByIp;
    }

    public long generation()
    {
        return generation;
    }

    public EndpointRules rulesFor(final int ip)
    {
        return rulesByIp.get(ip);
    }

    /**
     * Judges the first packet of a connection.
     *
     * @param enforceEgress  the sender is a pod on this node (egress is enforced at the sender's node)
     * @param enforceIngress the receiver is a pod on this node (ingress is enforced at the receiver's)
     * @return {@link #ALLOW}, {@link #DENY_EGRESS} or {@link #DENY_INGRESS}
     */
    public int check(final int sourceIp, final int destinationIp, final int protocolNumber, final int destinationPort,
        final boolean enforceEgress, final boolean enforceIngress)
    {
        final EndpointRules source = rulesByIp.get(sourceIp);
        final EndpointRules destination = rulesByIp.get(destinationIp);
        if (enforceEgress && source != null)
        {
            final int peerIdentity = destination == null ? WORLD_IDENTITY : destination.identity();
            if (!source.egress().allows(protocolNumber, destinationPort, peerIdentity, destinationIp))
            {
                return DENY_EGRESS;
            }
        }
        if (enforceIngress && destination != null)
        {
            final int peerIdentity = source == null ? WORLD_IDENTITY : source.identity();
            if (!destination.ingress().allows(protocolNumber, destinationPort, peerIdentity, sourceIp))
            {
                return DENY_INGRESS;
            }
        }
        return ALLOW;
    }
}
