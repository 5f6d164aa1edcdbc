package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watcher's mirror of etcd: the first state in force when start() returns, every later write
 * delivered as a new state, and a complete, correct state again after the watch broke — because
 * etcd compacted the revision it asked for, or because etcd went away and came back.
 */
class DatastoreWatcherTest
{
    /** Generous: a watch that recovers at all does so well within this. */
    private static final Duration SETTLE = Duration.ofSeconds(60);

    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass();

    private Datastore datastore;
    private final WatchedStates states = new WatchedStates();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private DatastoreWatcher watcher;

    @BeforeEach
    void watch()
    {
        datastore = ETCD.datastore();
        watcher = new DatastoreWatcher(datastore, states, log::add);
    }

    @AfterEach
    void stopWatching()
    {
        watcher.close();
    }

    @Test
    void shouldDeliverTheFirstStateBeforeStartReturns() throws Exception
    {
        final long written = putNamespace("blue");
        datastore.put(datastore.keys().config(), Records.config(ClusterConfigs.DEFAULT), 0);

        watcher.start();

        assertEquals(1, states.count(), "exactly one state, on the caller's thread");
        assertTrue(states.latest().namespaces().containsKey("blue"));
        assertEquals(ClusterConfigs.DEFAULT, states.latest().config());
        assertTrue(states.latest().revision() > written);
        assertEquals(states.latest().revision(), watcher.appliedRevision());
        assertEquals(1, watcher.relists());
    }

    @Test
    void shouldHandAStateNotPutInForceOverAgainAndNotCountItsRevisionAsApplied() throws Exception
    {
        final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger(2);
        final WatchedStates seen = new WatchedStates();
        watcher.close();
        // A listener whose state directory fails twice: the first two hand-overs of a state are not in force.
        watcher = new DatastoreWatcher(datastore, state -> seen.onState(state) && refusals.getAndDecrement() <= 0, log::add);
        watcher.start();
        final long written = putNamespace("green");
        assertFalse(watcher.awaitRevision(written, Duration.ofMillis(200)), "not applied while the listener cannot keep it");
        assertTrue(watcher.awaitRevision(written, SETTLE), "applied once the listener could keep it");
        assertTrue(seen.count() >= 3, "the same state handed over again: " + seen.count());
        assertTrue(seen.latest().namespaces().containsKey("green"));
    }

    @Test
    void shouldDeliverPutsAndDeletesAsNewStates() throws Exception
    {
        watcher.start();
        assertTrue(states.latest().namespaces().isEmpty());

        assertTrue(watcher.awaitRevision(putNamespace("blue"), SETTLE));
        assertEquals(Map.of("team", "blue", "kubernetes.io/metadata.name", "blue"), states.latest().namespaces().get("blue"));

        final PodRecord pod = new PodRecord("blue", "web", "n1", Ipv4.parse("10.244.0.5"), Map.of("app", "web"));
        assertTrue(watcher.awaitRevision(datastore.put(datastore.keys().pod("blue", "web"), Records.pod(pod), 0), SETTLE));
        assertEquals(pod, states.latest().pods().get("blue/web"));

        assertTrue(watcher.awaitRevision(datastore.delete(datastore.keys().namespace("blue")), SETTLE));
        assertFalse(states.latest().namespaces().containsKey("blue"));
        assertEquals(pod, states.latest().pods().get("blue/web"), "the pod's record is a key of its own");

        // One transaction of several writes is one revision, and arrives whole.
        final long batch = datastore.commit(List.of(), List.of(
            Datastore.Write.put(datastore.keys().namespace("red"), Records.namespace("red", Map.of()), 0),
            Datastore.Write.delete(datastore.keys().pod("blue", "web"))));
        assertTrue(watcher.awaitRevision(batch, SETTLE));
        assertTrue(states.latest().namespaces().containsKey("red"));
        assertTrue(states.latest().pods().isEmpty());
        states.assertMatches(datastore);
        assertEquals(1, watcher.relists(), "a healthy watch never lists again");
    }

    @Test
    void shouldListAgainWhenEtcdCompactedPastTheWatchedRevision() throws Exception
    {
        putNamespace("old");
        final AtomicBoolean first = new AtomicBoolean(true);
        final AtomicLong deleted = new AtomicLong();
        // Between the first listing and its watch: two writes, then a compaction past both, so the
        // watch from listing + 1 asks for a revision etcd no longer has, as after a long stall.
        watcher.beforeWatch(listed ->
        {
            if (first.getAndSet(false))
            {
                try
                {
                    putNamespace("new");
                    deleted.set(datastore.delete(datastore.keys().namespace("old")));
                    assertEquals(deleted.get(), ETCD.server().compactNow());
                }
                catch (final IOException failed)
                {
                    throw new UncheckedIOException(failed);
                }
            }
        });

        watcher.start();
        assertTrue(states.latest().namespaces().containsKey("old"), "the first listing was before the writes");

        Eventually.until("the watcher lists again", () -> watcher.relists() >= 2);
        assertTrue(watcher.awaitRevision(deleted.get(), SETTLE));
        assertTrue(states.latest().namespaces().containsKey("new"));
        assertFalse(states.latest().namespaces().containsKey("old"));
        states.assertMatches(datastore);

        // The watch that followed the relist works: a later write arrives without another relist.
        assertTrue(watcher.awaitRevision(putNamespace("later"), SETTLE));
        assertTrue(states.latest().namespaces().containsKey("later"));
        assertEquals(2, watcher.relists());
        assertTrue(log.stream().anyMatch(line -> line.contains("compacted") && line.contains("listing again")),
            "the watch ended for the compaction: " + log);
    }

    @Test
    void shouldCatchUpWhenEtcdIsStoppedAndRestarted() throws Exception
    {
        catchUpAfterOutage(false);
    }

    @Test
    void shouldCatchUpWhenEtcdIsKilledAndRestarted() throws Exception
    {
        catchUpAfterOutage(true);
    }

    private void catchUpAfterOutage(final boolean crash) throws Exception
    {
        watcher.start();
        assertTrue(watcher.awaitRevision(putNamespace("before"), SETTLE));
        final ClusterState beforeOutage = states.latest();

        if (crash)
        {
            ETCD.server().kill();
        }
        else
        {
            ETCD.server().stop();
        }
        // A few seconds down: long enough for the watch to fail and the relists to fail too.
        Thread.sleep(3_000);
        assertEquals(beforeOutage.namespaces(), states.latest().namespaces(), "an unreachable etcd changes nothing");
        ETCD.server().restart();

        final long revision = putNamespaceRetrying("after");
        assertTrue(watcher.awaitRevision(revision, SETTLE), "the write after the restart reached the listener; log: " + log);
        assertTrue(states.latest().namespaces().containsKey("after"));
        assertTrue(states.latest().namespaces().containsKey("before"));
        states.assertMatches(datastore);
    }

    private long putNamespace(final String name) throws DatastoreException
    {
        return datastore.put(datastore.keys().namespace(name), Records.namespace(name,
            Map.of("team", name, "kubernetes.io/metadata.name", name)), 0);
    }

    /** The test's own client may still be reconnecting after the restart; that is not what is tested. */
    private long putNamespaceRetrying(final String name) throws Exception
    {
        final AtomicLong revision = new AtomicLong();
        Eventually.until("a put after the restart", SETTLE, () ->
        {
            try
            {
                revision.set(putNamespace(name));
                return true;
            }
            catch (final DatastoreException notYet)
            {
                return false;
            }
        });
        return revision.get();
    }
}
