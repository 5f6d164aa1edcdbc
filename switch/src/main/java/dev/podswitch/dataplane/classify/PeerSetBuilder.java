package dev.podswitch.dataplane.classify;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Accumulates identities, the selectors they came from, and address ranges (as unsigned longs),
 * and builds a {@link PeerSet}. A selector that matches no identity yet still counts: the set
 * must remember it, so that an identity appearing later can be patched in.
 */
public final class PeerSetBuilder
{
    private boolean any;
    private final BitSet identities = new BitSet();
    private final BitSet selectors = new BitSet();
    private final List<long[]> ranges = new ArrayList<>();

    public PeerSetBuilder any()
    {
        any = true;
        return this;
    }

    public PeerSetBuilder identity(final int identity)
    {
        identities.set(identity);
        return this;
    }

    public PeerSetBuilder identities(final BitSet ids)
    {
        identities.or(ids);
        return this;
    }

    /** The identities {@code matching} selector {@code selectorId} matches now. */
    public PeerSetBuilder selector(final int selectorId, final BitSet matching)
    {
        selectors.set(selectorId);
        identities.or(matching);
        return this;
    }

    /** Addresses {@code first..last} inclusive, as unsigned values. */
    public PeerSetBuilder range(final long first, final long last)
    {
        ranges.add(new long[] {first, last});
        return this;
    }

    public PeerSetBuilder add(final PeerSetBuilder other)
    {
        any |= other.any;
        identities.or(other.identities);
        selectors.or(other.selectors);
        ranges.addAll(other.ranges);
        return this;
    }

    public boolean isEmpty()
    {
        return !any && identities.isEmpty() && selectors.isEmpty() && ranges.isEmpty();
    }

    public PeerSet build()
    {
        if (any)
        {
            return PeerSet.ANY;
        }
        if (isEmpty())
        {
            return PeerSet.NONE;
        }
        final List<long[]> sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        final List<long[]> merged = new ArrayList<>();
        for (final long[] range : sorted)
        {
            final long[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && range[0] <= last[1] + 1)
            {
                last[1] = Math.max(last[1], range[1]);
            }
            else
            {
                merged.add(new long[] {range[0], range[1]});
            }
        }
        final int[] starts = new int[merged.size()];
        final int[] ends = new int[merged.size()];
        for (int i = 0; i < starts.length; i++)
        {
            starts[i] = (int)merged.get(i)[0] ^ Integer.MIN_VALUE;
            ends[i] = (int)merged.get(i)[1] ^ Integer.MIN_VALUE;
        }
        return new PeerSet(false, identities.toLongArray(), selectors.stream().toArray(), starts, ends);
    }
}
