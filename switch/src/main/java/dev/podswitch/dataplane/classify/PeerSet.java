package dev.podswitch.dataplane.classify;

import java.util.Arrays;

/**
 * The peers one set of policy rules allows, compiled: every peer, a set of security identities
 * (a bitset indexed by identity), and address ranges (ipBlocks with their excepts already cut
 * out, merged into sorted disjoint intervals). Immutable; a lookup is a bit test and a binary
 * search, whatever number of policies it came from.
 *
 * <p>The set also remembers which selectors (numbered by the compiler) its identities came from.
 * Lookups never read them: they let the control plane patch a published set copy-on-write when an
 * identity appears or its labels' meaning changes ({@link #withIdentities}), instead of
 * recompiling every table that mentions a selector. Invariant kept by the compiler: identity
 * {@code i}'s bit is set exactly when {@code i} matches one of {@code selectorIds}.
 */
public final class PeerSet
{
    private static final long[] NO_BITS = new long[0];
    private static final int[] NO_INTS = new int[0];

    public static final PeerSet NONE = new PeerSet(false, NO_BITS, NO_INTS, NO_INTS, NO_INTS);
    public static final PeerSet ANY = new PeerSet(true, NO_BITS, NO_INTS, NO_INTS, NO_INTS);

    private final boolean any;
    private final long[] identityBits;
    private final int[] selectorIds;
    // Interval bounds with the sign bit flipped, so signed comparison orders addresses as unsigned.
    private final int[] rangeStarts;
    private final int[] rangeEnds;

    PeerSet(final boolean any, final long[] identityBits, final int[] selectorIds, final int[] rangeStarts,
        final int[] rangeEnds)
    {
        this.any = any;
        this.identityBits = identityBits;
        this.selectorIds = selectorIds;
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

    /**
     * This set with each of {@code identities[k]} a member exactly when it matches one of this
     * set's selectors, {@code selectorMatches[k]} being that identity's selector bitset. Returns
     * {@code this} when nothing changes, so unchanged tables stay shared between snapshots.
     */
    public PeerSet withIdentities(final int[] identities, final long[][] selectorMatches)
    {
        if (any || selectorIds.length == 0)
        {
            return this;
        }
        long[] bits = identityBits;
        for (int k = 0; k < identities.length; k++)
        {
            final int identity = identities[k];
            final int word = identity >>> 6;
            final boolean member = matchesAnySelector(selectorMatches[k]);
            final boolean present = word < bits.length && (bits[word] & (1L << identity)) != 0;
            if (member == present)
            {
                continue;
            }
            if (bits == identityBits || word >= bits.length)
            {
                bits = Arrays.copyOf(bits, Math.max(bits.length, word + 1));
            }
            bits[word] ^= 1L << identity;
        }
        return bits == identityBits ? this : new PeerSet(false, bits, selectorIds, rangeStarts, rangeEnds);
    }

    private boolean matchesAnySelector(final long[] selectorMatches)
    {
        for (final int selector : selectorIds)
        {
            final int word = selector >>> 6;
            if (word < selectorMatches.length && (selectorMatches[word] & (1L << selector)) != 0)
            {
                return true;
            }
        }
        return false;
    }

    public boolean isAny()
    {
        return any;
    }

    /** Nothing can ever match: no identities, no ranges, and no selector that a new identity could match. */
    public boolean isEmpty()
    {
        if (any || rangeStarts.length > 0 || selectorIds.length > 0)
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
