package dev.podswitch.dataplane.stats;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A node's data-plane counters. Written by the node's pipeline thread (and by producers counting
 * ring-full drops), read by anyone: the CLI, tests, metrics. Every frame that enters the pipeline
 * ends in exactly one bucket, so {@code received = forwarded + answered + Σ drops} holds whenever
 * the pipeline is idle.
 */
public final class DatapathCounters
{
    private static final int RECEIVED = 0;
    private static final int FORWARDED = 1;
    private static final int ANSWERED = 2;
    private static final int FIRST_DROP = 3;
    private static final DropReason[] REASONS = DropReason.values();

    private final AtomicLongArray values = new AtomicLongArray(FIRST_DROP + REASONS.length);

    public void received()
    {
        values.getAndIncrement(RECEIVED);
    }

    /** A frame left through a port (pod, host or tunnel). */
    public void forwarded()
    {
        values.getAndIncrement(FORWARDED);
    }

    /** A frame consumed by the switch itself, which answered it (gateway ARP, gateway ping). */
    public void answered()
    {
        values.getAndIncrement(ANSWERED);
    }

    public void dropped(final DropReason reason)
    {
        values.getAndIncrement(FIRST_DROP + reason.ordinal());
    }

    public long receivedCount()
    {
        return values.get(RECEIVED);
    }

    public long forwardedCount()
    {
        return values.get(FORWARDED);
    }

    public long answeredCount()
    {
        return values.get(ANSWERED);
    }

    public long droppedCount(final DropReason reason)
    {
        return values.get(FIRST_DROP + reason.ordinal());
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
