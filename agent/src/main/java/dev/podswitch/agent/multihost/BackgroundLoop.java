package dev.podswitch.agent.multihost;

import dev.podswitch.datastore.Datastore;

/**
 * A daemon thread that runs one job until closed — the lease renewer's, the pod publisher's. The
 * job checks {@link #running()} and treats an interrupt as "look again" (a nudge) or "stop", as
 * {@link #running()} then says. Closing waits at most an etcd timeout for the job to end.
 */
final class BackgroundLoop implements AutoCloseable
{
    private final Thread thread;
    private volatile boolean running = true;

    BackgroundLoop(final String name, final Runnable job)
    {
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(job);
    }

    void start()
    {
        thread.start();
    }

    boolean running()
    {
        return running;
    }

    /** Wakes the job from a sleep or a wait (it should look again at once). */
    void interrupt()
    {
        thread.interrupt();
    }

    /** Sleeps {@code millis}; false when the loop was closed meanwhile. */
    boolean sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
            return running;
        }
        catch (final InterruptedException nudgedOrClosed)
        {
            return running;
        }
    }

    @Override
    public void close()
    {
        running = false;
        thread.interrupt();
        try
        {
            thread.join(Datastore.TIMEOUT.toMillis());
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
