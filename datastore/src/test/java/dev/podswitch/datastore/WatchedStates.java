package dev.podswitch.datastore;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A watcher's listener that keeps every state it is handed, for tests to look at. */
final class WatchedStates implements DatastoreWatcher.Listener
{
    private final List<ClusterState> states = new CopyOnWriteArrayList<>();

    @Override
    public boolean onState(final ClusterState state)
    {
        states.add(state);
        return true;
    }

    int count()
    {
        return states.size();
    }

    ClusterState latest()
    {
        return states.getLast();
    }

    /**
     * The latest state holds exactly what a fresh listing of etcd decodes to: the same keys at the
     * same revisions, and the same decoded objects. Only meaningful when nothing writes meanwhile.
     */
    void assertMatches(final Datastore datastore) throws DatastoreException
    {
        final Datastore.Listing listing = datastore.list();
        final ClusterState fresh = ClusterState.decode(datastore.keys(), listing.revision(), listing.entries());
        final ClusterState latest = latest();
        assertEquals(modRevisions(fresh), modRevisions(latest), "the same keys at the same revisions");
        assertEquals(fresh.config(), latest.config());
        assertEquals(fresh.nodes(), latest.nodes());
        assertEquals(fresh.pods(), latest.pods());
        assertEquals(fresh.namespaces(), latest.namespaces());
        assertEquals(fresh.policies(), latest.policies());
        assertEquals(fresh.problems(), latest.problems());
    }

    private static Map<String, Long> modRevisions(final ClusterState state)
    {
        final Map<String, Long> revisions = new TreeMap<>();
        state.raw().forEach((key, entry) -> revisions.put(key, entry.modRevision()));
        return revisions;
    }
}
