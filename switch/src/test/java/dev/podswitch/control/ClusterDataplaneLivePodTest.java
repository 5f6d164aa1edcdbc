package dev.podswitch.control;

import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Live pods seen from the cluster, without a kernel: a port the caller builds, polled by running agents. */
class ClusterDataplaneLivePodTest
{
    /** Stands in for a TAP port: counts the node's polls. */
    private record PolledPort(int id, AtomicLong polls) implements Port, ReceiveSource
    {
        @Override
        public String name()
        {
            return "polled-" + id;
        }

        @Override
        public boolean transmit(final MemorySegment frame, final long offset, final int length)
        {
            return true;
        }

        @Override
        public int poll(final FrameRing ring, final int limit)
        {
            polls.incrementAndGet();
            return 0;
        }
    }

    private static ClusterDataplane threadedCluster()
    {
        return ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY).withThreading(2, IdleMode.BLOCKING));
    }

    @Test
    void shouldBindTheLeasedIpAndMacAndPollThePortWhileLive() throws InterruptedException
    {
        final AtomicLong polls = new AtomicLong();
        try (ClusterDataplane cluster = threadedCluster())
        {
            final Attachment pod = cluster.addLivePod("a", "node-2",
                (node, portId, ip, mac) -> new PolledPort(portId, polls));
            assertEquals("10.244.1.2", Ipv4.format(pod.ip()));
            assertEquals(ClusterDataplane.macFor(pod.ip()), pod.mac());
            final LocalEndpoint bound = cluster.node("node-2").datapath().table().localByIp(pod.ip());
            assertEquals(pod.port().id(), bound.portId());
            assertEquals(pod.mac(), bound.mac());
            assertEquals(0, polls.get(), "not live yet: agents run only inside runUntilIdle");

            cluster.startLive();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (polls.get() < 3 && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(1);
            }
            assertTrue(polls.get() >= 3, "the live node polls its port on its own: " + polls.get());

            assertSame(pod.port(), cluster.detach("a").port());
            final long afterRemoval = polls.get();
            Thread.sleep(20);
            assertEquals(afterRemoval, polls.get(), "a removed port is never polled again");
            assertNull(cluster.node("node-2").datapath().table().localByIp(pod.ip()));
            assertTrue(cluster.isLive());
            cluster.stopLive();
        }
    }

    /** A /29 per node holds five pod IPs: IPs that were not given back would run out. */
    private static ClusterDataplane tinyCluster()
    {
        return ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 29, List.of("node-1"),
            ClusterOptions.Underlay.MEMORY).withThreading(1, IdleMode.BLOCKING));
    }

    @Test
    void shouldGiveTheIpBackWhenALivePodIsRemoved()
    {
        try (ClusterDataplane cluster = tinyCluster())
        {
            for (int i = 0; i < 5; i++)
            {
                cluster.addLivePod("p" + i, "node-1", (node, portId, ip, mac) -> new PolledPort(portId, new AtomicLong()));
            }
            assertThrows(RuntimeException.class, () -> cluster.addLivePod("full", "node-1",
                (node, portId, ip, mac) -> new PolledPort(portId, new AtomicLong())));
            final int freed = cluster.detach("p2").ip();
            final Attachment again = cluster.addLivePod("again", "node-1",
                (node, portId, ip, mac) -> new PolledPort(portId, new AtomicLong()));
            assertEquals(freed, again.ip(), "the removed pod's IP went back to IPAM");
        }
    }

    @Test
    void shouldReleaseTheIpWhenThePortCannotBeBuilt()
    {
        try (ClusterDataplane cluster = tinyCluster())
        {
            for (int i = 0; i < 10; i++)
            {
                assertThrows(IllegalStateException.class, () -> cluster.addLivePod("a", "node-1",
                    (node, portId, ip, mac) -> { throw new IllegalStateException("no TAP"); }));
            }
            assertTrue(cluster.attachments().isEmpty());
            for (int i = 0; i < 5; i++)
            {
                cluster.addLivePod("p" + i, "node-1", (node, portId, ip, mac) -> new PolledPort(portId, new AtomicLong()));
            }
            assertEquals(5, cluster.attachments().size(), "ten failed attempts kept no IP");
        }
    }

    @Test
    void shouldRefuseToGoLiveWhenNodesRunOnTheDriversThread()
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24,
            List.of("node-1"), ClusterOptions.Underlay.MEMORY)))
        {
            assertThrows(IllegalStateException.class, cluster::startLive);
        }
    }
}
