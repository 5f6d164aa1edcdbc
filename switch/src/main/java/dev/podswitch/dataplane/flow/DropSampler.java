package dev.podswitch.dataplane.flow;

import dev.podswitch.dataplane.stats.DropReason;

/**
 * Keeps a flood of drops from washing the flow log out: at most {@code perSecond} records a second
 * for each (drop reason, source address) pair, the rest counted — per pair (reported with the next
 * record of that pair) and in total. Pairs live in a fixed open table of {@code slots} entries
 * indexed by a hash; a pair that lands on a slot another pair holds takes it over (its count starts
 * again), so the table never grows and a spray of sources costs no memory. Pipeline thread only,
 * no allocation.
 */
public final class DropSampler
{
    public static final String PER_SECOND_PROP_NAME = "switch.flowlog.dropsPerSecond";
    public static final int DEFAULT_PER_SECOND = 20;
    private static final int SLOTS = 1024;
    private static final long SECOND_NS = 1_000_000_000L;

    private final int perSecond;
    private final long[] keys = new long[SLOTS];
    private final long[] windowStarts = new long[SLOTS];
    private final int[] counts = new int[SLOTS];
    private final long[] leftOut = new long[SLOTS];
    /** Written by the pipeline thread only (an ordered store, no locked instruction); read by anyone. */
    private final java.util.concurrent.atomic.AtomicLong suppressedTotal = new java.util.concurrent.atomic.AtomicLong();

    public DropSampler(final int perSecond)
    {
        this.perSecond = Math.max(1, perSecond);
        java.util.Arrays.fill(keys, -1);
    }

    static DropSampler fromProperties()
    {
        return new DropSampler(Integer.getInteger(PER_SECOND_PROP_NAME, DEFAULT_PER_SECOND));
    }

    /**
     * @return -1 when this drop is left out (counted), else how many of its pair were left out just
     *         before it (then reset).
     */
    long admit(final DropReason reason, final int sourceIp, final long nowNs)
    {
        final long key = ((long)reason.ordinal() << 32) | (sourceIp & 0xFFFF_FFFFL);
        final int slot = (int)(mix(key) & (SLOTS - 1));
        if (keys[slot] != key || nowNs - windowStarts[slot] >= SECOND_NS)
        {
            final long before = keys[slot] == key ? leftOut[slot] : 0;
            keys[slot] = key;
            windowStarts[slot] = nowNs;
            counts[slot] = 1;
            leftOut[slot] = 0;
            return before;
        }
        if (counts[slot] < perSecond)
        {
            counts[slot]++;
            final long before = leftOut[slot];
            leftOut[slot] = 0;
            return before;
        }
        leftOut[slot]++;
        suppressedTotal.lazySet(suppressedTotal.get() + 1);
        return -1;
    }

    public long suppressedTotal()
    {
        return suppressedTotal.get();
    }

    private static long mix(final long key)
    {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }
}
