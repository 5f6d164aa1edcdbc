package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agents starting together race for subnets; the create-if-absent transaction must give each a
 * subnet of its own, and when the cluster CIDR runs out a node is refused rather than handed a
 * subnet another node holds. Each round runs on a fresh prefix, so every round starts empty.
 */
class SubnetLeaserRaceTest
{
    private static final int ROUNDS = 20;
    /** 256 subnets: the racers all fit, and all want the lowest free one first. */
    private static final ClusterConfig ROOMY = new ClusterConfig(Ipv4Cidr.parse("10.244.0.0/16"), 24, 1);
    /** 4 subnets; one is held before each race, so exactly three are free. */
    private static final ClusterConfig TIGHT = new ClusterConfig(Ipv4Cidr.parse("10.244.0.0/22"), 24, 1);

    /** Only the server: each round makes its own clients, on a prefix of its own. */
    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass();

    /** What one racer got: a lease, or the refusal. */
    private record Outcome(SubnetLease lease, DatastoreException refused)
    {
    }

    @Test
    void shouldGiveThreeRacingNodesDistinctSubnets() throws Exception
    {
        for (int round = 0; round < ROUNDS; round++)
        {
            try (Datastore observer = ETCD.server().connect("/race-" + round + "/"))
            {
                final Map<String, Outcome> outcomes = race(observer.keys().prefix(), ROOMY, List.of("a", "b", "c"));

                assertAllWon(observer, ROOMY, outcomes, "round " + round);
                assertEquals(3, subnetKeys(observer), "round " + round + ": no stray claim is left behind");
            }
        }
    }

    @Test
    void shouldFillATightClusterAndRefuseTheNextNode() throws Exception
    {
        for (int round = 0; round < ROUNDS; round++)
        {
            try (Datastore observer = ETCD.server().connect("/tight-" + round + "/"))
            {
                final SubnetLease held = Leasers.leaser(observer, TIGHT, "z", Leasers.LONG_TTL).acquire(null);

                final Map<String, Outcome> outcomes = race(observer.keys().prefix(), TIGHT, List.of("a", "b", "c"));

                assertAllWon(observer, TIGHT, outcomes, "round " + round);
                outcomes.values().forEach(outcome -> assertNotEquals(held.subnet(), outcome.lease().subnet()));
                final DatastoreException refused = assertThrows(DatastoreException.class,
                    () -> Leasers.leaser(observer, TIGHT, "d", Leasers.LONG_TTL).acquire(null));
                assertTrue(refused.getMessage().contains("no free /24 subnet is left in 10.244.0.0/22 for node d"),
                    refused.getMessage());
                assertEquals(4, subnetKeys(observer), "round " + round + ": the refused node claimed nothing");
            }
        }
    }

    @Test
    void shouldRefuseExactlyOneOfFourNodesRacingForThreeSubnets() throws Exception
    {
        for (int round = 0; round < ROUNDS; round++)
        {
            try (Datastore observer = ETCD.server().connect("/overbooked-" + round + "/"))
            {
                Leasers.leaser(observer, TIGHT, "z", Leasers.LONG_TTL).acquire(null);

                final Map<String, Outcome> outcomes = race(observer.keys().prefix(), TIGHT, List.of("a", "b", "c", "d"));

                final Map<String, Outcome> winners = new LinkedHashMap<>(outcomes);
                winners.values().removeIf(outcome -> outcome.lease() == null);
                assertEquals(3, winners.size(), "round " + round + ": three win, one is refused: " + outcomes);
                assertAllWon(observer, TIGHT, winners, "round " + round);
                outcomes.values().stream().filter(outcome -> outcome.lease() == null).forEach(loser ->
                    assertTrue(loser.refused().getMessage().contains("no free /24 subnet"), loser.refused().getMessage()));
                assertEquals(4, subnetKeys(observer));
            }
        }
    }

    /** Every node acquires on its own client and thread, all released at once. */
    private static Map<String, Outcome> race(final String prefix, final ClusterConfig config, final List<String> nodes)
        throws Exception
    {
        final List<Datastore> clients = new ArrayList<>();
        final ExecutorService threads = Executors.newFixedThreadPool(nodes.size());
        try
        {
            final CountDownLatch ready = new CountDownLatch(nodes.size());
            final CountDownLatch go = new CountDownLatch(1);
            final Map<String, Future<Outcome>> futures = new LinkedHashMap<>();
            for (final String node : nodes)
            {
                final Datastore client = ETCD.server().connect(prefix);
                clients.add(client);
                // Connect before the start line, so the race is between transactions, not connection setups.
                client.list();
                final SubnetLeaser leaser = Leasers.leaser(client, config, node, Leasers.LONG_TTL);
                futures.put(node, threads.submit(() ->
                {
                    ready.countDown();
                    go.await();
                    try
                    {
                        return new Outcome(leaser.acquire(null), null);
                    }
                    catch (final DatastoreException refused)
                    {
                        return new Outcome(null, refused);
                    }
                }));
            }
            assertTrue(ready.await(30, TimeUnit.SECONDS), "every racer is at the start line");
            go.countDown();
            final Map<String, Outcome> outcomes = new LinkedHashMap<>();
            for (final Map.Entry<String, Future<Outcome>> future : futures.entrySet())
            {
                outcomes.put(future.getKey(), future.getValue().get(60, TimeUnit.SECONDS));
            }
            return outcomes;
        }
        finally
        {
            threads.shutdownNow();
            clients.forEach(Datastore::close);
        }
    }

    /** Distinct subnets of the cluster, each key naming its node and bound to that node's lease. */
    private static void assertAllWon(final Datastore observer, final ClusterConfig config, final Map<String, Outcome> outcomes,
        final String round) throws Exception
    {
        final Set<Ipv4Cidr> subnets = new HashSet<>();
        for (final Map.Entry<String, Outcome> won : outcomes.entrySet())
        {
            final SubnetLease lease = won.getValue().lease();
            assertNull(won.getValue().refused(), round + ": " + won.getKey() + " was refused");
            assertNotNull(lease);
            assertEquals(won.getKey(), lease.node());
            assertEquals(config.nodePrefixLength(), lease.subnet().prefixLength(), round + ": " + lease);
            assertTrue(config.clusterCidr().contains(lease.subnet()), round + ": " + lease.subnet() + " is in the cluster");
            assertTrue(subnets.add(lease.subnet()), round + ": " + lease.subnet() + " was given twice: " + outcomes);
            final SubnetLease stored = Leasers.stored(observer, lease.subnet());
            assertEquals(won.getKey(), stored.node(), round + ": the key names its node");
            assertEquals(lease.leaseId(), stored.leaseId(), round + ": the key is bound to its node's lease");
        }
    }

    private static long subnetKeys(final Datastore observer) throws DatastoreException
    {
        final String subnets = observer.keys().prefix() + DatastoreKeys.SUBNETS;
        return observer.list().entries().keySet().stream().filter(key -> key.startsWith(subnets)).count();
    }
}
