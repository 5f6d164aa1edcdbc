package dev.podswitch.datastore;

/**
 * A daemon thread that runs one job until closed — the etcd watcher's, the agent's lease renewer's
 * and pod publisher's. The job checks {@link #running()} and treats an interrupt as "look again"
 * (a nudge) or "stop", as {@link #running()} then says. Closing waits at most an etcd timeout for
 * the job to end.
 */
public final class BackgroundLoop implements AutoCloseable
{
    private final Thread thread;
    private volatile boolean running = true;

    public BackgroundLoop(final String name, final Runnable job)
    {
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(job);
    }

    public void start()
    {
        thread.start();
    }

    public boolean running()
    {
        return running;
    }

    /** Wakes the job from a sleep or a wait (it should look again at once). */
    public void interrupt()
    {
        thread.interrupt();
    }

    /** Sleeps {@code millis}; false when the loop was closed meanwhile. */
    public boolean sleep(final long millis)
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
