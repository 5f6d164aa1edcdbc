package dev.podswitch.dataplane.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets one controlling thread stop a set of agent threads between cycles and own, for a while,
 * everything those agents touch — then hand it back. The threaded emulated cluster uses it so
 * that its driver thread may attach pods and start probes on endpoints (which are not
 * thread-safe) exactly as in the single-threaded mode, while the node agents run in parallel
 * in between.
 *
 * <p>Each runner's top-level agent is wrapped by {@link #guard(Agent)}. While the gate is
 * closed, a guarded agent does no work and acknowledges the gate's current epoch; {@link #close}
 * returns once every guarded agent has acknowledged the epoch it opened, i.e. every thread has
 * left {@code doWork} and will read the gate again before it re-enters. The volatile
 * acknowledgement and the volatile open flag are the happens-before edges both ways: what the
 * agents wrote is visible to the controller after {@code close}, what the controller wrote is
 * visible to the agents after {@link #open}.
 *
 * <p>Threads: {@code open}, {@code close} and {@code guard} on the controlling thread only;
 * guarded agents on their runners. Starts closed: agents started behind it do nothing until
 * the first {@code open}.
 */
public final class AgentGate
{
    private final List<GuardedAgent> guarded = new ArrayList<>();
    private volatile boolean closed = true;
    private volatile long epoch;

    /** Wraps an agent so that it does no work while this gate is closed. */
    public Agent guard(final Agent agent)
    {
        final GuardedAgent guardedAgent = new GuardedAgent(agent);
        guarded.add(guardedAgent);
        return guardedAgent;
    }

    public boolean isClosed()
    {
        return closed;
    }

    /** Lets the guarded agents work again from their next cycle. */
    public void open()
    {
        closed = false;
    }

    /**
     * Stops the guarded agents and waits, idling through {@code idle}, until each has
     * acknowledged: from then until {@link #open()} none of them is inside {@code doWork}.
     *
     * @param wake called on each wait, e.g. to unpark runners sleeping in a back-off.
     */
    public void close(final IdleStrategy idle, final Runnable wake)
    {
        // Order matters: closed before the new epoch, so that an agent which reads the new epoch
        // (the agent reads epoch first, then closed) is certain to read closed == true.
        closed = true;
        final long target = epoch + 1;
        epoch = target;
        idle.reset();
        while (!allAcknowledged(target))
        {
            wake.run();
            idle.idle();
        }
    }

    private boolean allAcknowledged(final long target)
    {
        for (final GuardedAgent agent : guarded)
        {
            if (agent.acknowledgedEpoch != target)
            {
                return false;
            }
        }
        return true;
    }

    private final class GuardedAgent implements Agent
    {
        private final Agent agent;
        private volatile long acknowledgedEpoch;
        private boolean held;

        GuardedAgent(final Agent agent)
        {
            this.agent = agent;
        }

        @Override
        public int doWork() throws Exception
        {
            final long current = epoch;
            if (closed)
            {
                if (acknowledgedEpoch != current)
                {
                    acknowledgedEpoch = current;
                }
                held = true;
                return 0;
            }
            if (held)
            {
                // Released: count it as work, so the runner's idle strategy drops its back-off and
                // the thread does not sleep a full park period while work is arriving.
                held = false;
                return Math.max(1, agent.doWork());
            }
            return agent.doWork();
        }

        @Override
        public String name()
        {
            return agent.name();
        }

        @Override
        public int readinessFd()
        {
            return agent.readinessFd();
        }
    }
}
