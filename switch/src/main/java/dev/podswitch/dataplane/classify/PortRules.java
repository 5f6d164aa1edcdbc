package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * One endpoint's rules for one direction, compiled. Rules without ports land in
 * {@code anyProtocol} (every protocol, ICMP included). Rules with ports land in a per-protocol
 * segment map — sorted disjoint port segments, each with the union of the peers allowed on it —
 * so numbers, ranges ({@code endPort}) and resolved named ports cost one binary search.
 */
public final class PortRules
{
    private final PeerSet anyProtocol;
    private final int[][] segmentStarts;
    private final PeerSet[][] segmentPeers;

    PortRules(final PeerSet anyProtocol, final int[][] segmentStarts, final PeerSet[][] segmentPeers)
    {
        this.anyProtocol = anyProtocol;
        this.segmentStarts = segmentStarts;
        this.segmentPeers = segmentPeers;
    }

    public boolean allows(final int protocolNumber, final int port, final int peerIdentity, final int peerIp)
    {
        if (anyProtocol.contains(peerIdentity, peerIp))
        {
            return true;
        }
        final int index = IpProtocol.portedIndex(protocolNumber);
        if (index < 0)
        {
            return false;
        }
        final int[] starts = segmentStarts[index];
        int low = 0;
        int high = starts.length - 1;
        int found = -1;
        while (low <= high)
        {
            final int middle = (low + high) >>> 1;
            if (starts[middle] <= port)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found >= 0 && segmentPeers[index][found].contains(peerIdentity, peerIp);
    }

    /**
     * These rules with every peer set patched for {@code identities} (see
     * {@link PeerSet#withIdentities}); {@code this} when no set changes, and unchanged protocols
     * keep their arrays.
     */
    public PortRules withIdentities(final int[] identities, final long[][] selectorMatches)
    {
        final PeerSet patchedAny = anyProtocol.withIdentities(identities, selectorMatches);
        PeerSet[][] patchedSegments = segmentPeers;
        for (int p = 0; p < segmentPeers.length; p++)
        {
            final PeerSet[] segments = segmentPeers[p];
            PeerSet[] patched = segments;
            for (int s = 0; s < segments.length; s++)
            {
                final PeerSet peers = segments[s].withIdentities(identities, selectorMatches);
                if (peers != segments[s])
                {
                    if (patched == segments)
                    {
                        patched = segments.clone();
                    }
                    patched[s] = peers;
                }
            }
            if (patched != segments)
            {
                if (patchedSegments == segmentPeers)
                {
                    patchedSegments = segmentPeers.clone();
                }
                patchedSegments[p] = patched;
            }
        }
        return patchedAny == anyProtocol && patchedSegments == segmentPeers
            ? this : new PortRules(patchedAny, segmentStarts, patchedSegments);
    }
}
