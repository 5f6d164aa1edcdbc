package dev.podswitch.dataplane.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How a node's NetworkPolicy judged the first packets of connections, by direction and action —
 * what {@code podswitch_policy_verdicts_total{direction,action}} exports. A direction counts when
 * its policy was consulted: egress when the sender is a pod of this node, ingress when the
 * receiver is. Packets of tracked connections are never judged again, so they do not count.
 *
 * <p>The pipeline thread is the only writer (a plain read and an ordered store per judgement, no
 * locked instruction); readers on any thread see each count whole.
 */
public final class PolicyVerdictCounters
{
    public enum Direction
    {
        INGRESS,
        EGRESS
    }

    public enum Action
    {
        ALLOW,
        DENY
    }

    private final AtomicLongArray counts = new AtomicLongArray(4);

    private static int index(final Direction direction, final Action action)
    {
        return direction.ordinal() * 2 + action.ordinal();
    }

    /** Pipeline thread only. */
    public void count(final Direction direction, final Action action)
    {
        final int index = index(direction, action);
        counts.lazySet(index, counts.get(index) + 1);
    }

    /** The number of judgements of {@code direction} that ended in {@code action}. */
    public long get(final Direction direction, final Action action)
    {
        return counts.get(index(direction, action));
    }
}
