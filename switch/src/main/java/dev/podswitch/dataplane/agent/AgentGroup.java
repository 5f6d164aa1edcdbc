package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.stats.DistinctErrorLog;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A fixed set of agents and the threading model they run under — configuration, not code (aeron
 * {@code ThreadingMode}): with {@code threads == 0} every agent runs on the caller's thread, inside
 * {@link #runUntil}, one {@link CompositeAgent} cycle after another, deterministically; with
 * {@code threads == N} they are dealt round-robin over N {@link AgentRunner}s (agent i on runner
 * i mod N), each a {@link CompositeAgent} on its own daemon thread.
 *
 * <p>Either way the caller sees the same contract: between calls to {@link #runUntil} no agent
 * is working, so the caller may touch agent-owned state (attach ports, start probes, read
 * counters) without locks; during the call the agents run until the caller's quiescence test
 * holds. In threaded mode an {@link AgentGate} enforces it: the runners are let through on entry
 * and stopped between cycles on exit, and the final quiescence test is made while they are stopped,
 * so it is exact.
 *
 * <p>A live lab needs the opposite: agents that run all the time, because kernel stacks behind
 * TAP ports send whenever they like. {@link #release()} opens the gate for good (until
 * {@link #hold()}); while released, {@link #runUntil} only waits for quiescence and leaves the
 * runners running, so the caller must not touch agent-owned state then — only thread-safe
 * publication (tables, ports, receive sources), or hold first.
 *
 * <p>Threads: every method on one controlling thread; {@link #close()} stops and joins the runners.
 */
public final class AgentGroup implements AutoCloseable
{
    /** Consecutive positive quiescence tests before the runners are stopped for the exact one. */
    private static final int QUIET_CHECKS = 2;

    private final Agent all;
    private final AgentGate gate = new AgentGate();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final IdleStrategy controllerIdle;
    private final List<CompositeAgent> composites = new ArrayList<>();
    private final DistinctErrorLog errors;
    private final Runnable wakeRunners = this::wakeRunners;
    private long callerThreadErrors;
    private boolean released;

    /**
     * @param threads 0 to run on the caller's thread; otherwise the number of runner threads,
     *                capped at the number of agents (a thread with nothing to run is not started).
     */
    public AgentGroup(final String name, final List<? extends Agent> agents, final int threads, final IdleMode idleMode,
        final DistinctErrorLog errors)
    {
        if (threads < 0)
        {
            throw new IllegalArgumentException("threads=" + threads + " < 0: use 0 to run every agent on the caller's "
                + "thread, or N >= 1 for N agent threads");
        }
        this.all = new CompositeAgent(name, agents);
        this.controllerIdle = idleMode.newStrategy();
        this.errors = errors;
        final int runnerCount = Math.min(threads, agents.size());
        for (int r = 0; r < runnerCount; r++)
        {
            final List<Agent> share = new ArrayList<>();
            for (int i = r; i < agents.size(); i += runnerCount)
            {
                share.add(agents.get(i));
            }
            final CompositeAgent composite = new CompositeAgent(name + "-" + r, share);
            composites.add(composite);
            runners.add(new AgentRunner(gate.guard(composite), idleMode.newStrategy(), errors));
        }
        for (final AgentRunner runner : runners)
        {
            runner.start();
        }
    }

    /** Runner threads in use: 0 in the caller-thread mode. */
    public int threadCount()
    {
        return runners.size();
    }

    public List<AgentRunner> runners()
    {
        return List.copyOf(runners);
    }

    /** Unexpected Throwables caught around {@code doWork}, on every thread; each also in the error log. */
    public long errorCount()
    {
        long count = callerThreadErrors;
        for (final AgentRunner runner : runners)
        {
            count += runner.errorCount();
        }
        return count;
    }

    /**
     * Lets the runners work continuously from now on, until {@link #hold()}.
     *
     * @throws IllegalStateException in the caller-thread mode, which has no runner to release.
     */
    public void release()
    {
        if (runners.isEmpty())
        {
            throw new IllegalStateException("agents run on the caller's thread (threads=0), so nothing can keep "
                + "them running: use threads >= 1 (ClusterOptions.withThreading, podswitch run --threads N)");
        }
        released = true;
        gate.open();
        wakeRunners();
    }

    /** Stops released runners between cycles; when this returns none is inside {@code doWork}. */
    public void hold()
    {
        released = false;
        if (!runners.isEmpty())
        {
            gate.close(controllerIdle, wakeRunners);
        }
    }

    public boolean isReleased()
    {
        return released;
    }

    /**
     * Runs the agents until {@code quiescent} holds twice in a row with no work done in between
     * (and, in threaded mode, once more with every runner stopped), or until the timeout.
     *
     * @return false when the timeout passed first; the agents are stopped either way.
     */
    public boolean runUntil(final BooleanSupplier quiescent, final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        return runners.isEmpty() ? runOnCallerThread(quiescent, deadlineNs) : runOnRunners(quiescent, deadlineNs);
    }

    private boolean runOnCallerThread(final BooleanSupplier quiescent, final long deadlineNs)
    {
        final IdleStrategy idle = controllerIdle;
        idle.reset();
        int quietChecks = 0;
        while (true)
        {
            int workCount;
            try
            {
                workCount = all.doWork();
            }
            catch (final Throwable unexpected)
            {
                callerThreadErrors++;
                errors.record(unexpected);
                workCount = 1;
            }
            if (workCount > 0)
            {
                quietChecks = 0;
                idle.reset();
                continue;
            }
            if (quiescent.getAsBoolean())
            {
                if (++quietChecks >= QUIET_CHECKS)
                {
                    return true;
                }
                continue;
            }
            if (System.nanoTime() > deadlineNs)
            {
                return false;
            }
            idle.idle();
        }
    }

    private boolean runOnRunners(final BooleanSupplier quiescent, final long deadlineNs)
    {
        final IdleStrategy idle = controllerIdle;
        gate.open();
        wakeRunners();
        idle.reset();
        int quietChecks = 0;
        while (true)
        {
            if (!quiescent.getAsBoolean())
            {
                quietChecks = 0;
            }
            else if (++quietChecks >= QUIET_CHECKS)
            {
                if (released)
                {
                    // Released runners keep going: quiescence seen twice is as exact as it gets.
                    return true;
                }
                gate.close(idle, wakeRunners);
                if (quiescent.getAsBoolean())
                {
                    return true;
                }
                // A runner was mid-batch when we looked: let them finish it.
                quietChecks = 0;
                gate.open();
                wakeRunners();
            }
            if (System.nanoTime() > deadlineNs)
            {
                if (!released)
                {
                    gate.close(idle, wakeRunners);
                }
                return false;
            }
            idle.idle();
        }
    }

    private void wakeRunners()
    {
        for (final AgentRunner runner : runners)
        {
            runner.wake();
        }
    }

    @Override
    public void close()
    {
        for (final AgentRunner runner : runners)
        {
            runner.close();
        }
        for (final CompositeAgent composite : composites)
        {
            composite.close();
        }
    }
}
