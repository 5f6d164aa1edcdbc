package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.port.linux.ReadinessSet;

import dev.podswitch.dataplane.stats.DistinctErrorLog;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one agent on a daemon thread of its own (named after the agent) in a duty cycle —
 * {@code doWork}, then idle through the {@link IdleStrategy} given the work count — until
 * {@link #close()} (agrona {@code AgentRunner}). A Throwable escaping {@code doWork} is a bug, not
 * a reason to stop a data plane: it is counted, recorded once per distinct stack in the
 * {@link DistinctErrorLog}, and the loop goes on with the next cycle.
 *
 * <p>Lifecycle: constructed, {@link #start()} once, {@link #close()} once from any thread, which
 * stops the loop after its current cycle and waits for the thread to end.
 */
public final class AgentRunner implements AutoCloseable
{
    /** How long {@link #close()} waits for the current cycle to finish before interrupting the thread. */
    public static final long CLOSE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final Agent agent;
    private final IdleStrategy idleStrategy;
    private final DistinctErrorLog errors;
    private final AtomicLong errorCount = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    public AgentRunner(final Agent agent, final IdleStrategy idleStrategy, final DistinctErrorLog errors)
    {
        this.agent = agent;
        this.idleStrategy = idleStrategy;
        final int readiness = agent.readinessFd();
        if (readiness >= 0 && idleStrategy instanceof final BackoffIdleStrategy backoff)
        {
            // Sleep on the agent's fds rather than blind: a frame at a TAP or socket wakes it at once.
            backoff.waitOn(new ReadinessSet.Waiter(readiness));
        }
        this.errors = errors;
        this.thread = Thread.ofPlatform().name(agent.name()).daemon(true).unstarted(this::run);
    }

    public AgentRunner start()
    {
        thread.start();
        return this;
    }

    private void run()
    {
        final Agent agent = this.agent;
        final IdleStrategy idle = idleStrategy;
        while (running)
        {
            try
            {
                idle.idle(agent.doWork());
            }
            catch (final Throwable unexpected)
            {
                if (!running)
                {
                    break;
                }
                errorCount.incrementAndGet();
                errors.record(unexpected);
                // Back off rather than spin on a fault that recurs every cycle.
                idle.idle(0);
            }
        }
    }

    /** Cuts short a park of the idle strategy: work (or a state change) is waiting. */
    public void wake()
    {
        LockSupport.unpark(thread);
    }

    /** Unexpected Throwables the loop caught and survived. */
    public long errorCount()
    {
        return errorCount.get();
    }

    public Agent agent()
    {
        return agent;
    }

    public Thread thread()
    {
        return thread;
    }

    @Override
    public void close()
    {
        running = false;
        if (!thread.isAlive() || thread == Thread.currentThread())
        {
            return;
        }
        wake();
        boolean interrupted = false;
        try
        {
            thread.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_TIMEOUT_NS));
            if (thread.isAlive())
            {
                thread.interrupt();
                thread.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_TIMEOUT_NS));
            }
        }
        catch (final InterruptedException closingThreadInterrupted)
        {
            interrupted = true;
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
