package dev.podswitch.dataplane.agent;

import java.util.concurrent.locks.LockSupport;

/**
 * Spins, then yields, then parks for a period that doubles up to a maximum (agrona
 * {@code BackoffIdleStrategy}): a burst that follows a short pause is picked up within
 * nanoseconds, while a thread idle for long costs almost nothing. A park ends early when another
 * thread unparks this one ({@link AgentRunner#wake()}), so a runner that waits for work can be
 * told work arrived. One instance per thread.
 */
public final class BackoffIdleStrategy implements IdleStrategy
{
    public static final long DEFAULT_MAX_SPINS = 10;
    public static final long DEFAULT_MAX_YIELDS = 5;
    public static final long DEFAULT_MIN_PARK_PERIOD_NS = 1_000;
    public static final long DEFAULT_MAX_PARK_PERIOD_NS = 1_000_000;

    private final long maxSpins;
    private final long maxYields;
    private final long minParkPeriodNs;
    private final long maxParkPeriodNs;
    private long spins;
    private long yields;
    private long parkPeriodNs;

    public BackoffIdleStrategy()
    {
        this(DEFAULT_MAX_SPINS, DEFAULT_MAX_YIELDS, DEFAULT_MIN_PARK_PERIOD_NS, DEFAULT_MAX_PARK_PERIOD_NS);
    }

    public BackoffIdleStrategy(final long maxSpins, final long maxYields, final long minParkPeriodNs,
        final long maxParkPeriodNs)
    {
        if (maxSpins < 0 || maxYields < 0 || minParkPeriodNs < 1 || maxParkPeriodNs < minParkPeriodNs)
        {
            throw new IllegalArgumentException("backoff maxSpins=" + maxSpins + ", maxYields=" + maxYields
                + ", minParkPeriodNs=" + minParkPeriodNs + ", maxParkPeriodNs=" + maxParkPeriodNs
                + ": counts must be >= 0 and 1 <= minParkPeriodNs <= maxParkPeriodNs");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkPeriodNs = minParkPeriodNs;
        this.maxParkPeriodNs = maxParkPeriodNs;
        reset();
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (yields < maxYields)
        {
            yields++;
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(parkPeriodNs);
            parkPeriodNs = Math.min(parkPeriodNs << 1, maxParkPeriodNs);
        }
    }

    @Override
    public void reset()
    {
        spins = 0;
        yields = 0;
        parkPeriodNs = minParkPeriodNs;
    }

    /** The longest a thread sleeps before looking again: the latency ceiling of an idle runner. */
    public long maxParkPeriodNs()
    {
        return maxParkPeriodNs;
    }
}
