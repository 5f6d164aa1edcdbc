package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node's subnet over its life: found again after a restart while the etcd lease lives, claimed
 * again (remembered, or by renew) after etcd let it expire, and never silently moved when another
 * node took it meanwhile. Expiry is real: a 1 s etcd lease left unrenewed, and the test polls until
 * etcd has removed the key.
 */
class SubnetLeaserTest
{
    private static final ClusterConfig CONFIG = new ClusterConfig(Ipv4Cidr.parse("10.244.0.0/16"), 24, 1);
    private static final Ipv4Cidr LOWEST = Ipv4Cidr.parse("10.244.0.0/24");
    private static final Ipv4Cidr REMEMBERED = Ipv4Cidr.parse("10.244.5.0/24");

    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass();

    @Test
    void shouldFindItsOwnKeyAndLeaseAgainAfterARestart() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLease first = Leasers.leaser(datastore, CONFIG, "a", Leasers.LONG_TTL).acquire(null);
        final SubnetLease other = Leasers.leaser(datastore, CONFIG, "b", Leasers.LONG_TTL).acquire(null);

        // A new process of node a: it remembers some other subnet, but etcd still has its own key.
        final SubnetLeaser restarted = Leasers.leaser(datastore, CONFIG, "a", Leasers.LONG_TTL);
        final SubnetLease again = restarted.acquire(REMEMBERED);

        assertEquals(first, again, "the same subnet, underlay, MAC and etcd lease id");
        assertSame(again, restarted.held());
        assertEquals(first.leaseId(), Leasers.stored(datastore, first.subnet()).leaseId());
        assertNotEquals(first.subnet(), other.subnet());
        assertNull(datastore.get(datastore.keys().subnet(REMEMBERED)), "nothing was claimed for the remembered subnet");
    }

    @Test
    void shouldFindItsOwnKeyAgainInTheLeasesLastSecond() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        // etcd reports a lease's time to live in whole seconds, truncated: a 1 s lease says 0 s left
        // for all its life, as any lease does in its last second. Alive is alive: a node restarting
        // then must get its own subnet back, not be moved to another while its old key lingers.
        final SubnetLease first = Leasers.leaser(datastore, CONFIG, "a", Leasers.SHORT_TTL).acquire(null);

        final SubnetLease again = Leasers.leaser(datastore, CONFIG, "a", Leasers.SHORT_TTL).acquire(first.subnet());

        assertEquals(first.subnet(), again.subnet(), "never moved to another subnet");
        if (again.leaseId() != first.leaseId())
        {
            // Only when the 1 s lease really ran out before the restarted node listed (a slow machine).
            assertEquals(-1, datastore.leaseTimeToLive(first.leaseId()), "a new lease only once etcd forgot the old one");
        }
    }

    @Test
    void shouldUpdateItsUnderlayAddressInPlaceAfterARestart() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLease first = Leasers.leaser(datastore, CONFIG, "a", Leasers.LONG_TTL).acquire(null);
        final int moved = Ipv4.parse("192.168.200.7");

        final SubnetLease again = Leasers.leaser(datastore, CONFIG, "a", moved, Leasers.LONG_TTL).acquire(null);

        assertEquals(first.subnet(), again.subnet());
        assertEquals(first.leaseId(), again.leaseId(), "the key keeps its lease, so the node's pod records stay");
        assertEquals(moved, Leasers.stored(datastore, first.subnet()).underlayAddress());
    }

    @Test
    void shouldClaimTheRememberedSubnetAgainAfterTheLeaseExpired() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLease first = Leasers.leaser(datastore, CONFIG, "a", Leasers.SHORT_TTL).acquire(REMEMBERED);
        assertEquals(REMEMBERED, first.subnet(), "a free remembered subnet is preferred to the lowest free one");
        Eventually.gone(datastore, datastore.keys().subnet(REMEMBERED));
        assertEquals(-1, datastore.leaseTimeToLive(first.leaseId()), "etcd forgot the lease");

        final SubnetLease again = Leasers.leaser(datastore, CONFIG, "a", Leasers.LONG_TTL).acquire(REMEMBERED);

        assertEquals(REMEMBERED, again.subnet(), "not " + LOWEST + ", the lowest free subnet");
        assertNotEquals(first.leaseId(), again.leaseId(), "a new etcd lease");
        final SubnetLease stored = Leasers.stored(datastore, REMEMBERED);
        assertEquals("a", stored.node());
        assertEquals(again.leaseId(), stored.leaseId());
    }

    @Test
    void shouldTakeAnotherSubnetWhenTheRememberedOneWasTakenMeanwhile() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLeaser expired = Leasers.leaser(datastore, CONFIG, "a", Leasers.SHORT_TTL);
        final SubnetLease first = expired.acquire(null);
        assertEquals(LOWEST, first.subnet());
        Eventually.gone(datastore, datastore.keys().subnet(LOWEST));
        final SubnetLease taker = Leasers.leaser(datastore, CONFIG, "b", Leasers.LONG_TTL).acquire(null);
        assertEquals(LOWEST, taker.subnet(), "b takes the lowest free subnet, a's old one");

        final SubnetLease elsewhere = Leasers.leaser(datastore, CONFIG, "a", Leasers.LONG_TTL).acquire(LOWEST);

        assertNotEquals(LOWEST, elsewhere.subnet());
        assertEquals("a", Leasers.stored(datastore, elsewhere.subnet()).node());
        assertEquals("b", Leasers.stored(datastore, LOWEST).node(), "b keeps its subnet");
    }

    @Test
    void shouldRefuseToRenewWhenAnotherNodeTookTheSubnet() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLeaser expired = Leasers.leaser(datastore, CONFIG, "a", Leasers.SHORT_TTL);
        final SubnetLease first = expired.acquire(null);
        Eventually.gone(datastore, datastore.keys().subnet(first.subnet()));
        final SubnetLease taker = Leasers.leaser(datastore, CONFIG, "b", Leasers.LONG_TTL).acquire(null);
        assertEquals(first.subnet(), taker.subnet());

        final DatastoreException refused = assertThrows(DatastoreException.class, expired::renew);

        assertTrue(refused.getMessage().contains("subnet " + first.subnet() + " of node a expired and was claimed by"),
            refused.getMessage());
        assertTrue(refused.getMessage().contains("\"node\":\"b\""), "names the taker: " + refused.getMessage());
        final SubnetLease stored = Leasers.stored(datastore, first.subnet());
        assertEquals("b", stored.node(), "b keeps its subnet");
        assertEquals(taker.leaseId(), stored.leaseId());
    }

    @Test
    void shouldKeepTheLeaseAliveWhileRenewing() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final Duration ttl = Duration.ofSeconds(2);
        final SubnetLeaser leaser = Leasers.leaser(datastore, CONFIG, "a", ttl);
        final SubnetLease first = leaser.acquire(null);

        // Renewing at the agent's interval for well over the TTL: had etcd ever let the lease
        // expire, renew() would have claimed the subnet again under a new lease id.
        final long until = System.nanoTime() + ttl.multipliedBy(3).toNanos();
        while (System.nanoTime() < until)
        {
            Thread.sleep(leaser.renewInterval().toMillis());
            assertEquals(first, leaser.renew(), "the same lease, renewed");
            assertTrue(datastore.leaseTimeToLive(first.leaseId()) >= 0, "etcd counts the lease as alive");
        }

        assertEquals(first.leaseId(), Leasers.stored(datastore, first.subnet()).leaseId());
    }

    @Test
    void shouldClaimTheSameSubnetAgainWhenRenewingAfterExpiry() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLeaser leaser = Leasers.leaser(datastore, CONFIG, "a", Leasers.SHORT_TTL);
        // A neighbour, so the subnet a gets back is not merely the lowest free one.
        Leasers.leaser(datastore, CONFIG, "b", Leasers.LONG_TTL).acquire(null);
        final SubnetLease first = leaser.acquire(null);
        Eventually.gone(datastore, datastore.keys().subnet(first.subnet()));

        final SubnetLease renewed = leaser.renew();

        assertEquals(first.subnet(), renewed.subnet());
        assertNotEquals(first.leaseId(), renewed.leaseId(), "a new etcd lease");
        assertSame(renewed, leaser.held());
        final SubnetLease stored = Leasers.stored(datastore, first.subnet());
        assertEquals("a", stored.node());
        assertEquals(renewed.leaseId(), stored.leaseId());
    }

    @Test
    void shouldRemoveTheKeyOnRelease() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final SubnetLeaser leaser = Leasers.leaser(datastore, CONFIG, "a", Leasers.LONG_TTL);
        final SubnetLease held = leaser.acquire(null);

        leaser.release();

        assertNull(datastore.get(datastore.keys().subnet(held.subnet())), "revoking the lease deletes its keys at once");
        assertNull(leaser.held());
    }
}
