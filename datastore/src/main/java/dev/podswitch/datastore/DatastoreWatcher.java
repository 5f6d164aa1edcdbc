package dev.podswitch.datastore;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Keeps a mirror of everything under the prefix and hands each new {@link ClusterState} to a
 * listener, on one thread of its own: list, then watch from the revision after the listing; when
 * the watch ends — etcd compacted past that revision, or it failed for good — list again and watch
 * anew, as flannel and Calico do. Events that arrive together are handed over as one state.
 *
 * <p>While etcd is unreachable the listener simply hears nothing: what it built from the last state
 * stays as it is, and the data plane never waits.
 */
public final class DatastoreWatcher implements AutoCloseable
{
    /** Told of every new state, on the watcher's thread, one at a time. */
    @FunctionalInterface
    public interface Listener
    {
        /**
         * @return whether the state is in force now; false (it could not be kept, say) has the same
         *         state handed over again a second later, and its revision is not counted as applied.
         */
        boolean onState(ClusterState state);
    }

    private sealed interface Signal
    {
    }

    private record Events(List<Datastore.Event> events, long revision) implements Signal
    {
    }

    private record Ended(Throwable cause) implements Signal
    {
    }

    private static final Duration RETRY = Duration.ofSeconds(1);

    private final Datastore datastore;
    private final Listener listener;
    private final Consumer<String> log;
    private final BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
    private final Map<String, Datastore.Entry> mirror = new HashMap<>();
    private final BackgroundLoop loop;
    private final Object applied = new Object();
    private volatile long appliedRevision;
    private volatile long relists;
    private AutoCloseable watch;
    private long revision;
    /** The last state handed over was not put in force: hand it over again. */
    private boolean unapplied;
    /** The revision of the last listing: events at or below it are already in the mirror. */
    private long listedAt;
    /** Test hook: runs between each listing and the watch that continues it (a test compacts etcd there). */
    private volatile LongConsumer beforeWatch = listedRevision -> { };

    public DatastoreWatcher(final Datastore datastore, final Listener listener, final Consumer<String> log)
    {
        this.datastore = datastore;
        this.listener = listener;
        this.log = log;
        this.loop = new BackgroundLoop("podswitch-etcd-watch", this::run);
    }

    /** Lists once on the caller's thread (so the first state is in force when this returns), then watches. */
    public DatastoreWatcher start() throws DatastoreException
    {
        relist(datastore.list());
        loop.start();
        return this;
    }

    /**
     * Package-private test hook: {@code hook} is given each listing's revision just before the watch
     * from the next revision is opened, so a test can write and compact there and make that watch
     * ask for a compacted revision deterministically. Set it before {@link #start()}.
     */
    DatastoreWatcher beforeWatch(final LongConsumer hook)
    {
        this.beforeWatch = hook;
        return this;
    }

    /** The revision of the last state the listener has finished with. */
    public long appliedRevision()
    {
        return appliedRevision;
    }

    /** How often the watcher listed again (a compaction, or a watch that failed). */
    public long relists()
    {
        return relists;
    }

    /** Waits until the listener has seen revision {@code wanted} (a write's); whether it did in time. */
    public boolean awaitRevision(final long wanted, final Duration timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (applied)
        {
            while (appliedRevision < wanted)
            {
                final long left = deadline - System.nanoTime();
                if (left <= 0)
                {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(applied, left);
            }
        }
        return true;
    }

    private void run()
    {
        while (loop.running())
        {
            try
            {
                final Signal first = signals.poll(1, TimeUnit.SECONDS);
                if (first == null)
                {
                    if (unapplied)
                    {
                        deliver();
                    }
                    continue;
                }
                boolean ended = false;
                Signal signal = first;
                while (signal != null)
                {
                    switch (signal)
                    {
                        case Events events -> applyEvents(events);
                        case Ended end ->
                        {
                            ended = true;
                            if (loop.running())
                            {
                                log.accept("etcd watch ended (" + end.cause().getMessage() + "); listing again");
                            }
                        }
                    }
                    signal = signals.poll();
                }
                if (ended && loop.running())
                {
                    relistUntilDone();
                }
                else
                {
                    deliver();
                }
            }
            catch (final InterruptedException stop)
            {
                return;
            }
            catch (final RuntimeException unexpected)
            {
                log.accept("etcd watch: " + unexpected + "; listing again");
                relistUntilDone();
            }
        }
    }

    private void applyEvents(final Events events)
    {
        for (final Datastore.Event event : events.events())
        {
            if (event.entry().modRevision() <= listedAt)
            {
                // From a watch closed at the last relist, already in the listing: applying it again
                // could bring back a key the listing no longer has.
                continue;
            }
            if (event.put())
            {
                mirror.put(event.entry().key(), event.entry());
            }
            else
            {
                mirror.remove(event.entry().key());
            }
        }
        revision = Math.max(revision, events.revision());
    }

    private void relistUntilDone()
    {
        while (loop.running())
        {
            try
            {
                relist(datastore.list());
                return;
            }
            catch (final DatastoreException unreachable)
            {
                try
                {
                    Thread.sleep(RETRY.toMillis());
                }
                catch (final InterruptedException stop)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void relist(final Datastore.Listing listing)
    {
        closeWatch();
        signals.clear();
        relists++;
        mirror.clear();
        mirror.putAll(listing.entries());
        revision = listing.revision();
        listedAt = listing.revision();
        deliver();
        beforeWatch.accept(listing.revision());
        watch = datastore.watch(listing.revision() + 1, new Datastore.WatchListener()
        {
            @Override
            public void onEvents(final List<Datastore.Event> events, final long at)
            {
                signals.add(new Events(events, at));
            }

            @Override
            public void onError(final Throwable cause)
            {
                signals.add(new Ended(cause));
            }
        });
    }

    private void deliver()
    {
        final ClusterState state = ClusterState.decode(datastore.keys(), revision, mirror);
        unapplied = !listener.onState(state);
        if (unapplied)
        {
            return;
        }
        synchronized (applied)
        {
            appliedRevision = Math.max(appliedRevision, revision);
            applied.notifyAll();
        }
    }

    private void closeWatch()
    {
        if (watch != null)
        {
            try
            {
                watch.close();
            }
            catch (final Exception ignored)
            {
                // A watch that will not close cleanly is gone anyway; a new one replaces it.
            }
            watch = null;
        }
    }

    @Override
    public void close()
    {
        loop.close();
        closeWatch();
    }
}
