package dev.podswitch.dataplane.classify;

/**
 * The peers one set of policy rules allows, compiled: every peer, a set of security identities
 * (a bitset indexed by identity), and address ranges (ipBlocks with their excepts already cut
 * out, merged into sorted disjoint intervals). Immutable; a lookup is a bit test and a binary
 * search, whatever number of policies it came from.
 */
public final class PeerSet
{
    public static final PeerSet NONE = new PeerSet(false, new long[0], new int[0], new int[0]);
    public static final PeerSet ANY = new PeerSet(true, new long[0], new int[0], new int[0]);

    private final boolean any;
    private final long[] identityBits;
    // Interval bounds with the sign bit flipped, so signed comparison orders addresses as unsigned.
    private final int[] rangeStarts;
    private final int[] rangeEnds;

    PeerSet(final boolean any, final long[] identityBits, final int[] rangeStarts, final int[] rangeEnds)
    {
        this.any = any;
        this.identityBits = identityBits;
        this.rangeStarts = rangeStarts;
        this.rangeEnds = rangeEnds;
    }

    public boolean contains(final int identity, final int ip)
    {
        if (any)
        {
            return true;
        }
        final int word = identity >>> 6;
        if (identity > 0 && word < identityBits.length && (identityBits[word] & (1L << identity)) != 0)
        {
            return true;
        }
        return inRanges(ip ^ Integer.MIN_VALUE);
    }

    private boolean inRanges(final int flippedIp)
    {
        int low = 0;
        int high = rangeStarts.length - 1;
        while (low <= high)
        {
            final int middle = (low + high) >>> 1;
            if (rangeStarts[middle] <= flippedIp)
            {
                if (flippedIp <= rangeEnds[middle])
                {
                    return true;
                }
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return false;
    }

    public boolean isAny()
    {
        return any;
    }

    public boolean isEmpty()
    {
        if (any || rangeStarts.length > 0)
        {
            return false;
        }
        for (final long word : identityBits)
        {
            if (word != 0)
            {
                return false;
            }
        }
        return true;
    }
}
