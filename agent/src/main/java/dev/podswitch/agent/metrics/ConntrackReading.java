package dev.podswitch.agent.metrics;

import dev.podswitch.dataplane.conntrack.ConntrackCounters;

/**
 * How many entries a node's conntrack table holds, read from another thread. The table's own
 * {@code size()} is a plain field of the pipeline thread ({@code ConnectionTracker} allows only
 * {@code counters()} from other threads), so it is not read here. The counters are, and they
 * partition every insert: {@code inserts = size + evictions + expirations + removals}
 * ({@link ConntrackCounters}). The removals are read before the inserts: every entry removed was
 * inserted earlier, and the writer publishes each count with an ordered store, so a reader that
 * sees a removal also sees its insert and the difference is never negative.
 */
final class ConntrackReading
{
    private ConntrackReading()
    {
    }

    static long entries(final ConntrackCounters counters)
    {
        final long gone = counters.evictions() + counters.expirations() + counters.removals();
        return Math.max(0, counters.inserts() - gone);
    }
}
