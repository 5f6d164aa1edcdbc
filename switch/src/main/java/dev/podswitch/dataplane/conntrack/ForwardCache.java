package dev.podswitch.dataplane.conntrack;

/**
 * The per-flow fast path of a {@link ConnectionTracker} (an exact-match cache, as OVS keeps one):
 * per table slot and direction, the forwarding action the pipeline last took for the connection
 * and the forwarding-table generation it was valid for. A separate array beside the entries so
 * that an entry's 64-byte record stays one cache line. Owned by the tracker's pipeline thread.
 */
final class ForwardCache
{
    /** Per slot: generation and action for the original direction, then for the reply direction. */
    private static final int SLOT_SHIFT = 2;
    private static final long NO_GENERATION = Long.MIN_VALUE;

    private final long[] generationAndAction;

    ForwardCache(final int capacity)
    {
        this.generationAndAction = new long[capacity << SLOT_SHIFT];
    }

    /** The action cached for this direction of the connection under {@code tableGeneration}, else -1. */
    long action(final long handle, final long tableGeneration)
    {
        final int at = at(handle);
        return generationAndAction[at] == tableGeneration ? generationAndAction[at + 1] : -1;
    }

    void remember(final long handle, final long tableGeneration, final long action)
    {
        final int at = at(handle);
        generationAndAction[at] = tableGeneration;
        generationAndAction[at + 1] = action;
    }

    /** Forgets both directions of the slot: a new connection got it, and inherits nothing. */
    void forget(final long handle)
    {
        final int at = ConntrackTable.index(handle) << SLOT_SHIFT;
        generationAndAction[at] = NO_GENERATION;
        generationAndAction[at + 2] = NO_GENERATION;
    }

    private static int at(final long handle)
    {
        return (ConntrackTable.index(handle) << SLOT_SHIFT) + (ConntrackTable.isReply(handle) ? 2 : 0);
    }
}
