package dev.podswitch.dataplane.classify;

/**
 * One endpoint's verdict function for one direction: not isolated (everything passes), or
 * isolated with the compiled union of every rule that applies.
 */
public record DirectionRules(boolean isolated, PortRules rules)
{
    public static final DirectionRules NOT_ISOLATED = new DirectionRules(false, null);

    public boolean allows(final int protocolNumber, final int port, final int peerIdentity, final int peerIp)
    {
        return !isolated || rules.allows(protocolNumber, port, peerIdentity, peerIp);
    }

    /** See {@link PortRules#withIdentities}; {@code this} when nothing changes. */
    public DirectionRules withIdentities(final int[] identities, final long[][] selectorMatches)
    {
        if (!isolated)
        {
            return this;
        }
        final PortRules patched = rules.withIdentities(identities, selectorMatches);
        return patched == rules ? this : new DirectionRules(true, patched);
    }
}
