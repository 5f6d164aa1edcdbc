package dev.podswitch.dataplane.stats;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A node's data-plane counters. The pipeline thread is the only writer of the pipeline counters
 * (a plain read and an ordered store: no locked instruction per frame); producers on other threads
 * — ports meeting a full ring, the tunnel's receive thread — count the frames they drop before the
 * ring through {@link #droppedAtReceive}, which is atomic. Readers (CLI, tests, metrics) sum both.
 * Every frame ends in exactly one bucket, so {@code received = forwarded + answered + Σ drops}
 * holds whenever the pipeline is idle.
 */
public final class DatapathCounters
{
    private static final int RECEIVED = 0;
    private static final int FORWARDED = 1;
    private static final int ANSWERED = 2;
    private static final int FIRST_DROP = 3;
    private static final DropReason[] REASONS = DropReason.values();

    private final AtomicLongArray pipeline = new AtomicLongArray(FIRST_DROP + REASONS.length);
    private final AtomicLongArray producers = new AtomicLongArray(FIRST_DROP + REASONS.length);

    private void increment(final int index)
    {
        pipeline.lazySet(index, pipeline.get(index) + 1);
    }

    /** Pipeline thread only: a frame taken from the ring. */
    public void received()
    {
        increment(RECEIVED);
    }

    /** Pipeline thread only: a frame left through a port (pod, host or tunnel). */
    public void forwarded()
    {
        increment(FORWARDED);
    }

    /** Pipeline thread only: a frame consumed by the switch itself, which answered it (gateway ARP, ping). */
    public void answered()
    {
        increment(ANSWERED);
    }

    /** Pipeline thread only: a frame taken from the ring and dropped. */
    public void dropped(final DropReason reason)
    {
        increment(FIRST_DROP + reason.ordinal());
    }

    /** Any thread: a frame that arrived but was dropped before it entered the ring. */
    public void droppedAtReceive(final DropReason reason)
    {
        producers.getAndIncrement(RECEIVED);
        producers.getAndIncrement(FIRST_DROP + reason.ordinal());
    }

    private long value(final int index)
    {
        return pipeline.get(index) + producers.get(index);
    }

    public long receivedCount()
    {
        return value(RECEIVED);
    }

    public long forwardedCount()
    {
        return value(FORWARDED);
    }

    public long answeredCount()
    {
        return value(ANSWERED);
    }

    public long droppedCount(final DropReason reason)
    {
        return value(FIRST_DROP + reason.ordinal());
    }
    public long droppedTotal()
    {
        long total = 0;
        for (final DropReason reason : REASONS)
        {
            total += droppedCount(reason);
        }
        return total;
    }

    /** The non-zero drop counters, for reports. */
    public Map<DropReason, Long> drops()
    {
        final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        for (final DropReason reason : REASONS)
        {
            final long count = droppedCount(reason);
            if (count != 0)
            {
                drops.put(reason, count);
            }
        }
        return drops;
    }

    /** Whether every received frame is accounted for; true only when the pipeline is idle. */
    public boolean isBalanced()
    {
        return receivedCount() == forwardedCount() + answeredCount() + droppedTotal();
    }
}
