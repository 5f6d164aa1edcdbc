package dev.podswitch.agent.multihost;

import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.datastore.BackgroundLoop;
import dev.podswitch.datastore.ClusterState;
import dev.podswitch.datastore.Datastore;
import dev.podswitch.datastore.DatastoreException;
import dev.podswitch.datastore.DatastoreKeys;
import dev.podswitch.datastore.DatastoreWatcher;
import dev.podswitch.datastore.PodRecord;
import dev.podswitch.datastore.Records;
import dev.podswitch.datastore.SubnetLeaser;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes the pods this node runs into the datastore and takes away the ones it no longer runs, on a
 * thread of its own: it compares the model's local pods with the last state the watch delivered and
 * writes the difference, each record bound to the node's etcd lease (so it goes with the node).
 * While etcd is unreachable it keeps trying; what changed meanwhile is written when it is back.
 *
 * <p>A pod's existence and address are this node's to say; once its record exists its labels are
 * the datastore's (a {@code label --etcd} edits them there), so an existing record is rewritten only
 * when its address or lease is wrong.
 */
final class LocalPodPublisher implements AutoCloseable
{
    private static final Duration PERIOD = Duration.ofMillis(100);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final Datastore datastore;
    private final String localNode;
    private final ClusterModel model;
    private final SubnetLeaser leaser;
    private final Supplier<ClusterState> datastoreState;
    private final DatastoreWatcher watcher;
    private final Consumer<String> log;
    private final BackgroundLoop loop;
    private volatile long writes;
    private volatile String lastFailure;

    LocalPodPublisher(final Datastore datastore, final String localNode, final ClusterModel model, final SubnetLeaser leaser,
        final Supplier<ClusterState> datastoreState, final DatastoreWatcher watcher, final Consumer<String> log)
    {
        this.datastore = datastore;
        this.localNode = localNode;
        this.model = model;
        this.leaser = leaser;
        this.datastoreState = datastoreState;
        this.watcher = watcher;
        this.log = log;
        this.loop = new BackgroundLoop("podswitch-etcd-pods", this::run);
    }

    LocalPodPublisher start()
    {
        loop.start();
        return this;
    }

    long writeCount()
    {
        return writes;
    }

    private void run()
    {
        while (loop.running())
        {
            try
            {
                final long revision = publishOnce();
                if (revision > 0)
                {
                    // Our own write comes back through the watch; compare again only once it has.
                    watcher.awaitRevision(revision, RETRY);
                }
                else
                {
                    loop.sleep(PERIOD.toMillis());
                }
                lastFailure = null;
            }
            catch (final InterruptedException stop)
            {
                return;
            }
            catch (final DatastoreException unreachable)
            {
                if (!Objects.equals(lastFailure, unreachable.getMessage()))
                {
                    log.accept("pods not written to etcd yet: " + unreachable.getMessage() + "; retrying");
                    lastFailure = unreachable.getMessage();
                }
                loop.sleep(RETRY.toMillis());
            }
            catch (final RuntimeException unexpected)
            {
                log.accept("pods not written to etcd: " + unexpected + "; retrying");
                loop.sleep(RETRY.toMillis());
            }
        }
    }

    /** One comparison and the writes it calls for; the revision of the last write, or 0 if nothing was written. */
    long publishOnce() throws DatastoreException
    {
        final ClusterState state = datastoreState.get();
        if (state == null || leaser.held() == null)
        {
            return 0;
        }
        final long lease = leaser.held().leaseId();
        final DatastoreKeys keys = datastore.keys();
        long revision = 0;
        final List<Pod> local = new ArrayList<>();
        for (final Pod pod : model.snapshot().pods().values())
        {
            if (localNode.equals(pod.node()) && pod.attachment() != null)
            {
                local.add(pod);
            }
        }
        final java.util.Set<String> localKeys = new java.util.HashSet<>();
        for (final Pod pod : local)
        {
            localKeys.add(pod.key());
            final String key = keys.pod(pod.namespace(), pod.name());
            final Datastore.Entry entry = state.raw().get(key);
            final PodRecord record = state.pods().get(pod.key());
            if (record != null && !record.node().equals(localNode))
            {
                continue;
            }
            final boolean right = record != null && record.ip() == pod.ip() && entry != null && entry.lease() == lease;
            if (right)
            {
                continue;
            }
            final Map<String, String> labels = record != null && record.ip() == pod.ip() ? record.labels() : pod.labels();
            final PodRecord wanted = new PodRecord(pod.namespace(), pod.name(), localNode, pod.ip(), labels);
            final long made = datastore.commit(List.of(new Datastore.Guard(key, entry == null ? 0 : entry.modRevision())),
                List.of(Datastore.Write.put(key, Records.pod(wanted), lease)));
            if (made > 0)
            {
                writes++;
                revision = Math.max(revision, made);
            }
        }
        for (final PodRecord record : state.pods().values())
        {
            if (!record.node().equals(localNode) || localKeys.contains(record.key()))
            {
                continue;
            }
            final String key = keys.pod(record.namespace(), record.name());
            final Datastore.Entry entry = state.raw().get(key);
            final long deleted = datastore.commit(List.of(new Datastore.Guard(key, entry.modRevision())),
                List.of(Datastore.Write.delete(key)));
            if (deleted > 0)
            {
                writes++;
                revision = Math.max(revision, deleted);
            }
        }
        return revision;
    }


    @Override
    public void close()
    {
        loop.close();
    }
}
