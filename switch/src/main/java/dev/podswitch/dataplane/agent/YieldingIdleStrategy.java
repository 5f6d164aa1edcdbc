package dev.podswitch.dataplane.agent;

/** Yields the core when idle: other runnable threads get it, an idle machine still sees 100% CPU. */
public final class YieldingIdleStrategy implements IdleStrategy
{
    @Override
    public void idle(final int workCount)
    {
        if (workCount <= 0)
        {
            Thread.yield();
        }
    }

    @Override
    public void idle()
    {
        Thread.yield();
    }

    @Override
    public void reset()
    {
    }
}
