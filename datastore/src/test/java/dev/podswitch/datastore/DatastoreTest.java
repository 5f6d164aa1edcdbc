package dev.podswitch.datastore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The etcd primitives everything else is built on, against a real etcd: create-if-absent,
 * compare-and-swap on the modification revision, all-or-nothing guarded transactions, and what a
 * lease's time to live says (etcd's whole seconds, truncated).
 */
class DatastoreTest
{
    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass();

    @Test
    void shouldCreateAKeyOnlyIfItIsAbsent() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final String key = datastore.keys().prefix() + "k";

        assertTrue(datastore.create(key, bytes("first"), 0));
        assertFalse(datastore.create(key, bytes("second"), 0));

        assertArrayEquals(bytes("first"), datastore.get(key).value());
    }

    @Test
    void shouldReplaceOnlyAtTheRevisionRead() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final String key = datastore.keys().prefix() + "k";
        final long created = datastore.put(key, bytes("v1"), 0);
        assertEquals(created, datastore.get(key).modRevision());

        assertTrue(datastore.replace(key, bytes("v2"), 0, created));
        assertFalse(datastore.replace(key, bytes("v3"), 0, created), "the revision read is stale now");
        assertFalse(datastore.replace(key, bytes("v3"), 0, 0), "0 means: must not exist");

        assertArrayEquals(bytes("v2"), datastore.get(key).value());
    }

    @Test
    void shouldCommitAllWritesOrNone() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final String guarded = datastore.keys().prefix() + "guarded";
        final String other = datastore.keys().prefix() + "other";
        final long read = datastore.put(guarded, bytes("v1"), 0);
        datastore.put(guarded, bytes("v2"), 0);

        assertEquals(0, datastore.commit(List.of(new Datastore.Guard(guarded, read)),
            List.of(Datastore.Write.put(other, bytes("x"), 0), Datastore.Write.delete(guarded))));
        assertNull(datastore.get(other), "a failed guard writes nothing");

        final long current = datastore.get(guarded).modRevision();
        final long made = datastore.commit(List.of(new Datastore.Guard(guarded, current), new Datastore.Guard(other, 0)),
            List.of(Datastore.Write.put(other, bytes("x"), 0), Datastore.Write.delete(guarded)));
        assertTrue(made > current);
        assertEquals(made, datastore.get(other).modRevision(), "one transaction, one revision");
        assertNull(datastore.get(guarded));
    }

    @Test
    void shouldTellALiveLeaseInItsLastSecondFromAForgottenOne() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final long lease = datastore.grantLease(Leasers.LONG_TTL);
        assertTrue(datastore.leaseTimeToLive(lease) > 0);
        final long oneSecond = datastore.grantLease(Duration.ofSeconds(1));
        final String key = datastore.keys().prefix() + "bound";
        assertTrue(datastore.create(key, bytes("x"), oneSecond));

        // etcd truncates the seconds left: a live 1 s lease reports 0, which must not read as expired.
        final long left = datastore.leaseTimeToLive(oneSecond);
        if (datastore.get(key) != null)
        {
            assertTrue(left >= 0, "alive while its key is there: " + left);
        }

        datastore.revokeLease(lease);
        assertEquals(-1, datastore.leaseTimeToLive(lease), "etcd no longer has it");
        assertEquals(0, datastore.renewLease(lease), "renewing a forgotten lease is 0, not an error");
        Eventually.gone(datastore, key);
        assertEquals(-1, datastore.leaseTimeToLive(oneSecond));
    }

    @Test
    void shouldFailWithTheEndpointsWhenEtcdIsUnreachable() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        // A port nothing listens on: the call gives up within Datastore.TIMEOUT instead of hanging.
        final EtcdEndpoints nowhere = EtcdEndpoints.parse("http://127.0.0.1:1");
        try (Datastore unreachable = Datastore.connect(nowhere, datastore.keys()))
        {
            final DatastoreException failed = assertThrows(DatastoreException.class, unreachable::list);
            assertTrue(failed.getMessage().contains("http://127.0.0.1:1"), failed.getMessage());
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
