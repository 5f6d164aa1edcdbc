package dev.podswitch.dataplane.conntrack;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A {@link ConnectionTracker}'s counters. The tracker's pipeline thread is the only writer (a plain
 * read and an ordered store, no locked instruction per packet); any thread may read them.
 *
 * <p>Partitions that hold whenever the pipeline is idle:
 * <ul>
 *   <li>{@code lookups = hits + misses} ({@code related} and {@code invalid} count subsets of hits);</li>
 *   <li>{@code inserts = size + evictions + expirations + removals}: every entry ever inserted is
 *   still there, was evicted for a new one, expired, or was removed (by {@code remove}, or because
 *   a new connection reopened its closed tuple). Refused inserts ({@code insertFailures},
 *   {@code zoneFull}, invalid first packets) are not inserts.</li>
 * </ul>
 */
public final class ConntrackCounters
{
    private static final int LOOKUPS = 0;
    private static final int HITS = 1;
    private static final int MISSES = 2;
    private static final int RELATED = 3;
    private static final int INVALID = 4;
    private static final int INSERTS = 5;
    private static final int INSERT_FAILURES = 6;
    private static final int EVICTIONS = 7;
    private static final int EXPIRATIONS = 8;
    private static final int REMOVALS = 9;
    private static final int ZONE_FULL = 10;
    private static final int COUNT = 11;

    private final AtomicLongArray values = new AtomicLongArray(COUNT);

    private void increment(final int index)
    {
        values.lazySet(index, values.get(index) + 1);
    }

    void countLookup()
    {
        increment(LOOKUPS);
    }

    void countHit()
    {
        increment(HITS);
    }

    void countMiss()
    {
        increment(MISSES);
    }

    void countRelated()
    {
        increment(RELATED);
    }

    void countInvalid()
    {
        increment(INVALID);
    }

    void countInsert()
    {
        increment(INSERTS);
    }

    void countInsertFailure()
    {
        increment(INSERT_FAILURES);
    }

    void countZoneFull()
    {
        increment(ZONE_FULL);
    }

    void countEviction()
    {
        increment(EVICTIONS);
    }

    void countExpiration()
    {
        increment(EXPIRATIONS);
    }

    void countRemoval()
    {
        increment(REMOVALS);
    }

    public long lookups()
    {
        return values.get(LOOKUPS);
    }

    public long hits()
    {
        return values.get(HITS);
    }

    public long misses()
    {
        return values.get(MISSES);
    }

    /** Hits by ICMP errors about a tracked connection. */
    public long related()
    {
        return values.get(RELATED);
    }

    /**
     * Packets the state machines rejected: hits that left the state unchanged, ICMP errors whose
     * quote cannot be about their destination, and inserts refused because the packet cannot
     * start a connection.
     */
    public long invalid()
    {
        return values.get(INVALID);
    }

    public long inserts()
    {
        return values.get(INSERTS);
    }

    /** Inserts refused because every entry in the probe window was live and assured. */
    public long insertFailures()
    {
        return values.get(INSERT_FAILURES);
    }

    /** New connections refused because their zone (the local pod they belong to) held its limit of entries. */
    public long zoneFull()
    {
        return values.get(ZONE_FULL);
    }

    /** Live entries displaced by a new connection. */
    public long evictions()
    {
        return values.get(EVICTIONS);
    }

    public long expirations()
    {
        return values.get(EXPIRATIONS);
    }

    public long removals()
    {
        return values.get(REMOVALS);
    }

    @Override
    public String toString()
    {
        return "lookups=" + lookups() + " hits=" + hits() + " misses=" + misses() + " related=" + related()
            + " invalid=" + invalid() + " inserts=" + inserts() + " insertFailures=" + insertFailures()
            + " zoneFull=" + zoneFull() + " evictions=" + evictions() + " expirations=" + expirations()
            + " removals=" + removals();
    }
}
