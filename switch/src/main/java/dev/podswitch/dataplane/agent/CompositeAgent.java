package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.port.linux.ReadinessSet;

import java.util.List;

/**
 * Several agents sharing one thread (agrona {@code CompositeAgent}): each cycle calls every one
 * of them once and returns the sum of their work, so the thread idles only when all are idle. The
 * first agent called moves on by one each cycle, so an agent that throws every time still lets
 * the ones behind it run, at worst every other cycle. Called by one thread at a time.
 *
 * <p>Its readiness fd nests the members' ones in an epoll set of its own, so the thread wakes
 * when any of them has work; {@link #close()} releases that set.
 */
public final class CompositeAgent implements Agent, AutoCloseable
{
    private ReadinessSet nested;
    private boolean nestedTried;
    private final Agent[] agents;
    private final String name;
    private int first;

    public CompositeAgent(final String name, final List<? extends Agent> agents)
    {
        if (agents.isEmpty())
        {
            throw new IllegalArgumentException("composite agent " + name + " needs at least one agent");
        }
        this.name = name;
        this.agents = agents.toArray(Agent[]::new);
    }

    @Override
    public int doWork() throws Exception
    {
        final Agent[] all = agents;
        final int start = first;
        first = start + 1 == all.length ? 0 : start + 1;
        int workCount = 0;
        for (int i = start; i < all.length; i++)
        {
            workCount += all[i].doWork();
        }
        for (int i = 0; i < start; i++)
        {
            workCount += all[i].doWork();
        }
        return workCount;
    }

    @Override
    public String name()
    {
        return name;
    }

    public int size()
    {
        return agents.length;
    }

    @Override
    public synchronized int readinessFd()
    {
        if (agents.length == 1)
        {
            return agents[0].readinessFd();
        }
        if (!nestedTried)
        {
            nestedTried = true;
            nested = ReadinessSet.createOrNull();
            if (nested != null)
            {
                boolean any = false;
                for (final Agent agent : agents)
                {
                    final int fd = agent.readinessFd();
                    any |= fd >= 0 && nested.add(fd);
                }
                if (!any)
                {
                    nested.close();
                    nested = null;
                }
            }
        }
        return nested == null ? -1 : nested.fd();
    }

    @Override
    public synchronized void close()
    {
        if (nested != null)
        {
            nested.close();
            nested = null;
        }
    }
}
