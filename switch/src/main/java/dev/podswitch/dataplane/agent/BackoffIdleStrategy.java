package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.port.linux.ReadinessSet;

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
    private static final int WAIT_TIMEOUT_MS = 1;

    private final long maxSpins;
    private final long maxYields;
    private final long minParkPeriodNs;
    private final long maxParkPeriodNs;
    private long spins;
    private long yields;
    private long parkPeriodNs;
    private ReadinessSet.Waiter waiter;
    /** Wake-ups by a ready fd since the agent last did work. */
    private int readyButIdle;
    private static final int MAX_READY_BUT_IDLE = 2;

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
        else if (waiter != null)
        {
            if (readyButIdle > MAX_READY_BUT_IDLE)
            {
                // The fds say "ready" yet the agent finds nothing to do (its gate is held, or a
                // device is in an error state): waiting on them again would return at once — sleep.
                LockSupport.parkNanos(parkPeriodNs);
                parkPeriodNs = Math.min(parkPeriodNs << 1, maxParkPeriodNs);
            }
            if (waiter.await(WAIT_TIMEOUT_MS) > 0)
            {
                readyButIdle++;
            }
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
        readyButIdle = 0;
        parkPeriodNs = minParkPeriodNs;
    }

    /**
     * Instead of parking, waits on an fd that becomes readable when work arrives (see
     * {@link Agent#readinessFd()}), at most {@value #WAIT_TIMEOUT_MS} ms — so an idle thread costs
     * nothing and still answers a frame within the time the kernel takes to wake it. Work that
     * arrives without an fd (a ring offer from another thread) waits out the timeout at worst, as a park would.
     */
    public void waitOn(final ReadinessSet.Waiter readiness)
    {
        this.waiter = readiness;
    }

    /** The longest a thread sleeps before looking again: the latency ceiling of an idle runner. */
    public long maxParkPeriodNs()
    {
        return maxParkPeriodNs;
    }
}
