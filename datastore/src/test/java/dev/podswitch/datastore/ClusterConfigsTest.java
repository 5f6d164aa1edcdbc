package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agents agree on one cluster config: the first writes what its flags ask (defaults for the rest),
 * later ones read it, and a flag that disagrees is an error naming the flag and the cluster's value,
 * never a second cluster under the same prefix.
 */
class ClusterConfigsTest
{
    private static final Ipv4Cidr CIDR = Ipv4Cidr.parse("10.10.0.0/16");

    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass();

    @Test
    void shouldWriteTheFirstAgentsConfigWithDefaultsForWhatItLeftOut() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final ClusterConfig agreed = ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(CIDR, null, 42));

        assertEquals(new ClusterConfig(CIDR, ClusterConfigs.DEFAULT.nodePrefixLength(), 42), agreed);
        final Datastore.Entry stored = datastore.get(datastore.keys().config());
        assertEquals(agreed, Records.config(stored.key(), stored.value()));
        assertEquals(0, stored.lease(), "the config outlives every agent");
    }

    @Test
    void shouldWriteTheDefaultsForAnAgentWithNoFlags() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        assertEquals(ClusterConfigs.DEFAULT, ClusterConfigs.agree(datastore, ClusterConfigs.Wanted.ANY));
    }

    @Test
    void shouldGiveLaterAgentsTheClusterAlreadyInEtcd() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final ClusterConfig first = ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(CIDR, 26, 42));

        assertEquals(first, ClusterConfigs.agree(datastore, ClusterConfigs.Wanted.ANY), "no flags: whatever the cluster has");
        assertEquals(first, ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(CIDR, 26, 42)), "the same flags");
        assertEquals(first, ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(null, null, 42)), "some flags");
    }

    @Test
    void shouldRefuseADisagreeingClusterCidrNamingTheFlagAndTheClustersValue() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(CIDR, null, 42));
        final byte[] before = datastore.get(datastore.keys().config()).value();

        final DatastoreException refused = assertThrows(DatastoreException.class, () -> ClusterConfigs.agree(datastore,
            new ClusterConfigs.Wanted(Ipv4Cidr.parse("10.99.0.0/16"), null, null)));

        assertTrue(refused.getMessage().startsWith("--cluster-cidr 10.99.0.0/16 disagrees with the cluster"),
            refused.getMessage());
        assertTrue(refused.getMessage().contains("cluster CIDR 10.10.0.0/16"), refused.getMessage());
        assertArrayEquals(before, datastore.get(datastore.keys().config()).value(), "the cluster's config is untouched");
    }

    @Test
    void shouldRefuseADisagreeingVniNamingTheFlagAndTheClustersValue() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(CIDR, null, 42));

        final DatastoreException refused = assertThrows(DatastoreException.class,
            () -> ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(null, null, 7)));

        assertTrue(refused.getMessage().startsWith("--vni 7 disagrees"), refused.getMessage());
        assertTrue(refused.getMessage().contains("VNI 42"), refused.getMessage());
    }

    @Test
    void shouldRefuseADisagreeingNodePrefixLength() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        ClusterConfigs.agree(datastore, ClusterConfigs.Wanted.ANY);

        final DatastoreException refused = assertThrows(DatastoreException.class,
            () -> ClusterConfigs.agree(datastore, new ClusterConfigs.Wanted(null, 25, null)));

        assertTrue(refused.getMessage().startsWith("--node-prefix-length 25 disagrees"), refused.getMessage());
        assertTrue(refused.getMessage().contains("node subnets /24"), refused.getMessage());
    }

    @Test
    void shouldRefuseAConfigThatIsNotJson() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        datastore.put(datastore.keys().config(), "clusterCIDR=10.0.0.0/8".getBytes(StandardCharsets.UTF_8), 0);

        final DatastoreException refused = assertThrows(DatastoreException.class,
            () -> ClusterConfigs.agree(datastore, ClusterConfigs.Wanted.ANY));

        assertTrue(refused.getMessage().startsWith("the cluster config in etcd is not readable: " + datastore.keys().config()),
            refused.getMessage());
        assertTrue(refused.getMessage().contains("etcdctl del " + datastore.keys().config()), "says how to fix it");
    }

    @Test
    void shouldRefuseAConfigOfTheWrongShape() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        // Valid JSON, but a VNI no cluster may have: unreadable too, never a config the agent half-uses.
        datastore.put(datastore.keys().config(),
            "{\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":24,\"vni\":0}".getBytes(StandardCharsets.UTF_8), 0);

        final DatastoreException refused = assertThrows(DatastoreException.class,
            () -> ClusterConfigs.agree(datastore, ClusterConfigs.Wanted.ANY));

        assertTrue(refused.getMessage().contains("not readable"), refused.getMessage());
        assertTrue(refused.getMessage().contains("VNI 0"), refused.getMessage());
    }

    @Test
    void shouldLetExactlyOneOfSeveralRacingFirstAgentsWriteTheConfig() throws Exception
    {
        final Datastore datastore = ETCD.datastore();
        final int agents = 5;
        final ExecutorService threads = Executors.newFixedThreadPool(agents);
        final List<Datastore> clients = new ArrayList<>();
        try
        {
            final CountDownLatch go = new CountDownLatch(1);
            final List<Future<Object>> results = new ArrayList<>();
            for (int vni = 1; vni <= agents; vni++)
            {
                final Datastore client = ETCD.server().connect(datastore.keys().prefix());
                clients.add(client);
                client.list();
                final ClusterConfigs.Wanted wanted = new ClusterConfigs.Wanted(null, null, vni);
                results.add(threads.submit(() ->
                {
                    go.await();
                    try
                    {
                        return ClusterConfigs.agree(client, wanted);
                    }
                    catch (final DatastoreException refused)
                    {
                        return refused;
                    }
                }));
            }
            go.countDown();

            final List<ClusterConfig> agreed = new ArrayList<>();
            for (final Future<Object> result : results)
            {
                final Object outcome = result.get(30, TimeUnit.SECONDS);
                if (outcome instanceof final ClusterConfig config)
                {
                    agreed.add(config);
                }
                else
                {
                    assertTrue(((DatastoreException)outcome).getMessage().startsWith("--vni "), outcome.toString());
                }
            }
            assertEquals(1, agreed.size(), "one writer wins, the others disagree with it: " + agreed);
            final Datastore.Entry stored = datastore.get(datastore.keys().config());
            assertEquals(agreed.getFirst(), Records.config(stored.key(), stored.value()));
        }
        finally
        {
            threads.shutdownNow();
            clients.forEach(Datastore::close);
        }
    }
}
