package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link IpamStore} backend must give {@link ClusterIpam}; one subclass per backend.
 */
abstract class ClusterIpamContractTest
{
    private static final Ipv4Cidr CLUSTER = Ipv4Cidr.parse("10.244.0.0/16");

    protected IpamStore store;
    private ClusterIpam ipam;

    protected abstract IpamStore newStore();

    @BeforeEach
    void open()
    {
        store = newStore();
        ipam = new ClusterIpam(store);
    }

    @AfterEach
    void close()
    {
        store.close();
    }

    @Test
    void shouldLeaseNodeSubnetsInOrderWhenNodesAsk()
    {
        assertEquals("10.244.0.0/24", ipam.nodeSubnet("node-1").toString());
        assertEquals("10.244.1.0/24", ipam.nodeSubnet("node-2").toString());
        assertEquals("10.244.0.0/24", ipam.nodeSubnet("node-1").toString());
        assertEquals("10.244.0.1", Ipv4.format(ipam.gateway("node-1")));
        assertEquals("10.244.1.1", Ipv4.format(ipam.gateway("node-2")));
        assertEquals(2, ipam.nodeSubnets().size());
    }

    @Test
    void shouldReuseLowestFreeSubnetWhenNodeReleasesLease()
    {
        ipam.nodeSubnet("node-1");
        ipam.nodeSubnet("node-2");
        ipam.nodeSubnet("node-3");

        ipam.releaseNode("node-2");
        ipam.releaseNode("node-2");
        ipam.releaseNode("never-seen");

        assertEquals("10.244.1.0/24", ipam.nodeSubnet("node-4").toString());
        assertEquals("10.244.3.0/24", ipam.nodeSubnet("node-5").toString());
    }

    @Test
    void shouldRefuseNodeReleaseWhenPodsStillHoldIps()
    {
        ipam.allocate("node-1", "c1", "eth0");

        final IpamException ex = assertThrows(IpamException.class, () -> ipam.releaseNode("node-1"));

        assertEquals("cannot release the subnet of node node-1: 1 pod IPs on it are still allocated; release " +
            "them first", ex.getMessage());
        assertEquals("10.244.0.0/24", ipam.nodeSubnet("node-1").toString());
    }

    @Test
    void shouldNameCidrSizeAndLeaseCountWhenClusterIsFull()
    {
        final ClusterIpam small = new ClusterIpam(newStore(), Ipv4Cidr.parse("10.9.0.0/23"), 24);
        small.nodeSubnet("a");
        small.nodeSubnet("b");

        final IpamException ex = assertThrows(IpamException.class, () -> small.nodeSubnet("c"));

        assertEquals("cluster CIDR 10.9.0.0/23 is full: all 2 /24 node subnets are leased, 2 nodes hold leases; " +
            "cannot give node c a subnet. Release the lease of a node that is gone, or use a larger cluster CIDR " +
            "or a longer node prefix length", ex.getMessage());
    }

    @Test
    void shouldRejectNodePrefixWhenShorterThanClusterPrefix()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new ClusterIpam(newStore(), CLUSTER, 15));

        assertEquals("node subnet prefix length /15 is shorter than the cluster CIDR 10.244.0.0/16: a node subnet " +
            "must fit inside the cluster CIDR, so use a node prefix length of at least 16", ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClusterIpam(newStore(), CLUSTER, 31));
    }

    @Test
    void shouldRefuseOtherLayoutWhenStoreWasCreatedWithAnother()
    {
        final IpamException ex = assertThrows(IpamException.class, () -> new ClusterIpam(store, CLUSTER, 25));

        assertTrue(ex.getMessage().startsWith("IPAM state in " + store.location() + " was created for cluster " +
            "CIDR 10.244.0.0/16 with /24 node subnets, but this agent is configured with cluster CIDR " +
            "10.244.0.0/16 with /25 node subnets"), ex.getMessage());
    }

    @Test
    void shouldStartAfterGatewayAndGoOnInOrderWhenAllocating()
    {
        assertEquals("10.244.0.2", Ipv4.format(ipam.allocate("node-1", "c1", "eth0").ip()));
        assertEquals("10.244.0.3", Ipv4.format(ipam.allocate("node-1", "c2", "eth0").ip()));
        assertEquals("10.244.0.4", Ipv4.format(ipam.allocate("node-1", "c2", "net1").ip()));
        assertEquals("10.244.1.2", Ipv4.format(ipam.allocate("node-2", "c1", "eth0").ip()));
    }

    @Test
    void shouldNeverHandOutNetworkBroadcastOrGatewayWhenSubnetIsExhausted()
    {
        final ClusterIpam tiny = new ClusterIpam(newStore(), Ipv4Cidr.parse("10.9.0.0/16"), 28);
        final Set<Integer> ips = new HashSet<>();
        for (int i = 0; i < 13; i++)
        {
            ips.add(tiny.allocate("n", "c" + i, "eth0").ip());
        }

        final Set<Integer> expected = new HashSet<>();
        for (int host = 2; host <= 14; host++)
        {
            expected.add(Ipv4.parse("10.9.0." + host));
        }
        assertEquals(expected, ips);
        final IpamException ex = assertThrows(IpamException.class, () -> tiny.allocate("n", "c-extra", "eth0"));
        assertEquals("no IP addresses available in node n's subnet 10.9.0.0/28: all 13 pod addresses are " +
            "allocated (network, broadcast and gateway 10.9.0.1 are never handed out); release IPs of pods that " +
            "are gone, or use a shorter node prefix length", ex.getMessage());
    }

    @Test
    void shouldContinueAfterLastReservedAndNotReuseReleasedIpWhenAllocatingAgain()
    {
        final PodIpLease first = ipam.allocate("node-1", "c1", "eth0");
        ipam.allocate("node-1", "c2", "eth0");

        ipam.release("node-1", "c1", "eth0");
        final PodIpLease next = ipam.allocate("node-1", "c3", "eth0");

        assertNotEquals(first.ip(), next.ip());
        assertEquals("10.244.0.4", Ipv4.format(next.ip()));
    }

    @Test
    void shouldWrapToRangeStartSkippingGatewayWhenEndIsReached()
    {
        final ClusterIpam tiny = new ClusterIpam(newStore(), Ipv4Cidr.parse("10.9.0.0/16"), 29);
        final List<String> ips = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            ips.add(Ipv4.format(tiny.allocate("n", "c" + i, "eth0").ip()));
        }
        assertEquals(List.of("10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"), ips);

        tiny.release("n", "c3", "eth0");
        tiny.release("n", "c1", "eth0");

        // The cursor is at .6 (the range end): wrap, skip the gateway .1 and .2 (taken), take .3 before .5.
        assertEquals("10.9.0.3", Ipv4.format(tiny.allocate("n", "d1", "eth0").ip()));
        assertEquals("10.9.0.5", Ipv4.format(tiny.allocate("n", "d2", "eth0").ip()));
    }

    @Test
    void shouldTakeRequestedIpAndMoveCursorWhenRequestedIpIsFree()
    {
        final PodIpLease pinned = ipam.allocate("node-1", "c1", "eth0", Ipv4.parse("10.244.0.10"));

        assertEquals("10.244.0.10", Ipv4.format(pinned.ip()));
        // host-local records every reservation as the last reserved IP, requested ones too.
        assertEquals("10.244.0.11", Ipv4.format(ipam.allocate("node-1", "c2", "eth0").ip()));
    }

    @Test
    void shouldExplainWhenRequestedIpIsTakenOutsideOrReserved()
    {
        ipam.allocate("node-1", "c1", "eth0", Ipv4.parse("10.244.0.10"));

        assertEquals("requested IP 10.244.0.10 is not available: it is allocated to container c1 interface eth0 " +
            "on node node-1", requestFails("c2", "10.244.0.10"));
        assertEquals("requested IP 10.244.1.10 is not in node node-1's subnet 10.244.0.0/24",
            requestFails("c2", "10.244.1.10"));
        assertEquals("requested IP 10.244.0.1 is the gateway of node node-1's subnet 10.244.0.0/24; pick one of " +
            "10.244.0.2 to 10.244.0.254", requestFails("c2", "10.244.0.1"));
        assertEquals("requested IP 10.244.0.0 is the network address of node node-1's subnet 10.244.0.0/24; " +
            "pick one of 10.244.0.2 to 10.244.0.254", requestFails("c2", "10.244.0.0"));
        assertEquals("requested IP 10.244.0.255 is the broadcast address of node node-1's subnet " +
            "10.244.0.0/24; pick one of 10.244.0.2 to 10.244.0.254", requestFails("c2", "10.244.0.255"));
        assertEquals(1, ipam.allocations().size());
    }

    @Test
    void shouldFailLikeHostLocalWhenSameContainerAndInterfaceAllocateTwice()
    {
        ipam.allocate("node-1", "c1", "eth0");

        final String expected = "10.244.0.2 has been allocated to container c1 interface eth0 on node node-1, " +
            "duplicate allocation is not allowed; release it first";
        assertEquals(expected, assertThrows(IpamException.class,
            () -> ipam.allocate("node-1", "c1", "eth0")).getMessage());
        assertEquals(expected, assertThrows(IpamException.class,
            () -> ipam.allocate("node-1", "c1", "eth0", Ipv4.parse("10.244.0.20"))).getMessage());
        assertEquals(1, ipam.allocations().size());
    }

    @Test
    void shouldBeIdempotentWhenReleasingTwiceOrUnknown()
    {
        ipam.allocate("node-1", "c1", "eth0");

        ipam.release("node-1", "c1", "eth0");
        ipam.release("node-1", "c1", "eth0");
        ipam.release("node-1", "unknown", "eth0");
        ipam.release("node-9", "c1", "eth0");

        assertEquals(List.of(), ipam.allocations());
    }

    @Test
    void shouldFindLeaseByKeyWhenLookingUp()
    {
        final PodIpLease lease = ipam.allocate("node-1", "c1", "eth0");
        ipam.allocate("node-2", "c1", "eth0");

        assertEquals(Optional.of(lease), ipam.lookup("node-1", "c1", "eth0"));
        assertEquals(Optional.empty(), ipam.lookup("node-1", "c1", "net1"));
        assertEquals(List.of("10.244.0.2", "10.244.1.2"),
            ipam.allocations().stream().map(l -> Ipv4.format(l.ip())).toList());
    }

    @Test
    void shouldRejectWhenNamesAreEmptyOrContainWhitespace()
    {
        assertEquals("container id must not be empty", assertThrows(IllegalArgumentException.class,
            () -> ipam.allocate("node-1", "", "eth0")).getMessage());
        assertEquals("interface name 'eth 0' contains whitespace or a control character at index 3",
            assertThrows(IllegalArgumentException.class, () -> ipam.allocate("node-1", "c1", "eth 0")).getMessage());
    }

    @Test
    void shouldGiveDistinctIpsWhenManyThreadsAllocate() throws Exception
    {
        final int threadCount = 8;
        final int perThread = 25;
        final ExecutorService executor = Executors.newFixedThreadPool(threadCount);
        try
        {
            final List<Callable<List<Integer>>> tasks = new ArrayList<>();
            for (int t = 0; t < threadCount; t++)
            {
                final int thread = t;
                tasks.add(() ->
                {
                    final List<Integer> ips = new ArrayList<>();
                    for (int i = 0; i < perThread; i++)
                    {
                        // Two nodes, so node subnet leasing races with pod allocation too.
                        ips.add(ipam.allocate("node-" + (i % 2), "t" + thread + "-" + i, "eth0").ip());
                    }
                    return ips;
                });
            }
            final Set<Integer> all = new HashSet<>();
            for (final Future<List<Integer>> future : executor.invokeAll(tasks))
            {
                for (final int ip : future.get())
                {
                    assertTrue(all.add(ip), () -> "handed out twice: " + Ipv4.format(ip));
                }
            }
            assertEquals(threadCount * perThread, all.size());
            assertEquals(threadCount * perThread, ipam.allocations().size());
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    @Test
    void shouldStoreNothingWhenAllocationFails()
    {
        final IpamState before = store.read();

        assertThrows(IpamException.class, () -> ipam.allocate("node-7", "c1", "eth0", Ipv4.parse("10.0.0.1")));

        assertEquals(before, store.read());
        assertFalse(ipam.nodeSubnets().containsKey("node-7"));
    }

    private String requestFails(final String containerId, final String ip)
    {
        return assertThrows(IpamException.class,
            () -> ipam.allocate("node-1", containerId, "eth0", Ipv4.parse(ip))).getMessage();
    }
}
