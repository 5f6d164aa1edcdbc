package dev.podswitch.datastore;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The cluster's etcd, through jetcd, in the few operations podswitch needs: list the prefix at a
 * revision, create-if-absent and compare-and-swap transactions, leases, and a watch from a
 * revision. Every call waits at most {@link #TIMEOUT} and turns any failure into a
 * {@link DatastoreException} naming the endpoints, so a caller never hangs on a dead etcd and
 * never sees gRPC's types.
 */
public final class Datastore implements AutoCloseable
{
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** One key as etcd holds it. */
    public record Entry(String key, byte[] value, long lease, long modRevision)
    {
    }

    /** Everything under the prefix at one revision. */
    public record Listing(long revision, Map<String, Entry> entries)
    {
        public Listing
        {
            entries = Map.copyOf(entries);
        }
    }

    /** A change a watch saw: a put (with its entry) or a delete (entry value empty). */
    public record Event(boolean put, Entry entry)
    {
    }

    /** A watch's callbacks, called on jetcd's threads. */
    public interface WatchListener
    {
        /** Events of one revision (or several), and the revision they bring the listener to. */
        void onEvents(List<Event> events, long revision);

        /** The watch ended: compacted past, cancelled, or failed for good; list again and watch anew. */
        void onError(Throwable cause);
    }

    private final Client client;
    private final EtcdEndpoints endpoints;
    private final DatastoreKeys keys;

    private Datastore(final Client client, final EtcdEndpoints endpoints, final DatastoreKeys keys)
    {
        this.client = client;
        this.endpoints = endpoints;
        this.keys = keys;
    }

    /** A client of {@code endpoints}; no request is made yet, so this succeeds while etcd is down. */
    public static Datastore connect(final EtcdEndpoints endpoints, final DatastoreKeys keys)
    {
        final Client client = Client.builder().endpoints(endpoints.uris().toArray(java.net.URI[]::new))
            .retryMaxDuration(TIMEOUT).connectTimeout(TIMEOUT).build();
        return new Datastore(client, endpoints, keys);
    }

    public DatastoreKeys keys()
    {
        return keys;
    }

    public EtcdEndpoints endpoints()
    {
        return endpoints;
    }

    /** Everything under the prefix, and the revision it was read at (a watch continues from the next one). */
    public Listing list() throws DatastoreException
    {
        final GetResponse response = await("list " + keys.prefix(),
            client.getKVClient().get(bytes(keys.prefix()), GetOption.builder().isPrefix(true).build()));
        final Map<String, Entry> entries = new LinkedHashMap<>();
        for (final KeyValue kv : response.getKvs())
        {
            final Entry entry = entry(kv);
            entries.put(entry.key(), entry);
        }
        return new Listing(response.getHeader().getRevision(), entries);
    }

    /** One key, or null. */
    public Entry get(final String key) throws DatastoreException
    {
        final GetResponse response = await("get " + key, client.getKVClient().get(bytes(key)));
        return response.getKvs().isEmpty() ? null : entry(response.getKvs().getFirst());
    }

    /** Creates {@code key} only if it does not exist, bound to {@code lease} (0: none); whether it did. */
    public boolean create(final String key, final byte[] value, final long lease) throws DatastoreException
    {
        final TxnResponse response = await("create " + key, client.getKVClient().txn()
            .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(bytes(key), ByteSequence.from(value), putOption(lease)))
            .commit());
        return response.isSucceeded();
    }

    /**
     * Puts {@code key} only if its modification revision is still {@code expected} (0: it must not
     * exist); whether it did. The compare-and-swap every read-modify-write here goes through.
     */
    public boolean replace(final String key, final byte[] value, final long lease, final long expected)
        throws DatastoreException
    {
        return commit(List.of(new Guard(key, expected)), List.of(Write.put(key, value, lease))) > 0;
    }

    /** A condition of {@link #commit}: the key's modification revision is {@code modRevision} (0: absent). */
    public record Guard(String key, long modRevision)
    {
    }

    /** A write of {@link #commit}: a put (value, lease) or a delete (value null). */
    public record Write(String key, byte[] value, long lease)
    {
        public static Write put(final String key, final byte[] value, final long lease)
        {
            return new Write(key, value, lease);
        }

        public static Write delete(final String key)
        {
            return new Write(key, null, 0);
        }
    }

    /**
     * One transaction: if every guard holds, every write; returns the revision it made, or 0 when a
     * guard failed (someone changed a key meanwhile: read again and retry).
     */
    public long commit(final List<Guard> guards, final List<Write> writes) throws DatastoreException
    {
        final List<Cmp> compares = new ArrayList<>(guards.size());
        for (final Guard guard : guards)
        {
            compares.add(guard.modRevision() == 0
                ? new Cmp(bytes(guard.key()), Cmp.Op.EQUAL, CmpTarget.createRevision(0))
                : new Cmp(bytes(guard.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(guard.modRevision())));
        }
        final List<Op> ops = new ArrayList<>(writes.size());
        for (final Write write : writes)
        {
            ops.add(write.value() == null ? Op.delete(bytes(write.key()), DeleteOption.DEFAULT)
                : Op.put(bytes(write.key()), ByteSequence.from(write.value()), putOption(write.lease())));
        }
        final TxnResponse response = await("transaction on " + writes.size() + " key(s)",
            client.getKVClient().txn().If(compares.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).commit());
        return response.isSucceeded() ? response.getHeader().getRevision() : 0;
    }

    /** Puts {@code key} whatever it holds; the revision it made. */
    public long put(final String key, final byte[] value, final long lease) throws DatastoreException
    {
        return await("put " + key, client.getKVClient().put(bytes(key), ByteSequence.from(value), putOption(lease)))
            .getHeader().getRevision();
    }

    /** Deletes {@code key}; the revision it made. */
    public long delete(final String key) throws DatastoreException
    {
        return await("delete " + key, client.getKVClient().delete(bytes(key))).getHeader().getRevision();
    }

    /** A new etcd lease of {@code ttl}; its id. */
    public long grantLease(final Duration ttl) throws DatastoreException
    {
        return await("grant a lease", client.getLeaseClient().grant(Math.max(1, ttl.toSeconds()))).getID();
    }

    /** Renews {@code lease} once; the seconds it has now, or 0 when it expired (etcd forgot it). */
    public long renewLease(final long lease) throws DatastoreException
    {
        final LeaseKeepAliveResponse response;
        try
        {
            response = await("renew lease " + Long.toHexString(lease), client.getLeaseClient().keepAliveOnce(lease));
        }
        catch (final DatastoreException failed)
        {
            if (failed.getCause() != null && String.valueOf(failed.getCause().getMessage()).contains("requested lease not found"))
            {
                return 0;
            }
            throw failed;
        }
        return Math.max(0, response.getTTL());
    }

    /**
     * The whole seconds {@code lease} has left, or -1 when etcd no longer has it (it expired or was
     * revoked). etcd truncates: a live lease in its last second, and a 1 s lease all its life, has 0.
     */
    public long leaseTimeToLive(final long lease) throws DatastoreException
    {
        final long ttl = await("ask lease " + Long.toHexString(lease),
            client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT)).getTTL();
        return ttl < 0 ? -1 : ttl;
    }

    public void revokeLease(final long lease) throws DatastoreException
    {
        await("revoke lease " + Long.toHexString(lease), client.getLeaseClient().revoke(lease));
    }

    /** Watches the prefix from {@code fromRevision} on; close the result to stop. */
    public AutoCloseable watch(final long fromRevision, final WatchListener listener)
    {
        final Watch.Watcher watcher = client.getWatchClient().watch(bytes(keys.prefix()),
            WatchOption.builder().isPrefix(true).withRevision(fromRevision).withProgressNotify(true).build(),
            Watch.listener(response -> deliver(response, listener), listener::onError));
        return watcher::close;
    }

    private static void deliver(final WatchResponse response, final WatchListener listener)
    {
        final List<Event> events = new ArrayList<>(response.getEvents().size());
        for (final WatchEvent event : response.getEvents())
        {
            final boolean put = event.getEventType() == WatchEvent.EventType.PUT;
            events.add(new Event(put, entry(event.getKeyValue())));
        }
        listener.onEvents(events, response.getHeader().getRevision());
    }

    private static Entry entry(final KeyValue kv)
    {
        return new Entry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(), kv.getLease(),
            kv.getModRevision());
    }

    private static PutOption putOption(final long lease)
    {
        return lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build();
    }

    private static ByteSequence bytes(final String text)
    {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private <T> T await(final String what, final CompletableFuture<T> future) throws DatastoreException
    {
        try
        {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException slow)
        {
            future.cancel(true);
            throw new DatastoreException("etcd at " + endpoints + " did not answer within " + TIMEOUT.toSeconds()
                + " s (" + what + ")");
        }
        catch (final ExecutionException failed)
        {
            throw new DatastoreException("etcd at " + endpoints + " refused or failed: " + what + ": "
                + failed.getCause().getMessage(), failed.getCause());
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
            throw new DatastoreException("interrupted waiting for etcd (" + what + ")", interrupted);
        }
    }

    @Override
    public void close()
    {
        client.close();
    }
}
