package dev.podswitch.dataplane.agent;

/** Spins with {@link Thread#onSpinWait()}: for a thread that owns an isolated core. */
public final class BusySpinIdleStrategy implements IdleStrategy
{
    @Override
    public void idle(final int workCount)
    {
        if (workCount <= 0)
        {
            Thread.onSpinWait();
        }
    }

    @Override
    public void idle()
    {
        Thread.onSpinWait();
    }

    @Override
    public void reset()
    {
    }
}
