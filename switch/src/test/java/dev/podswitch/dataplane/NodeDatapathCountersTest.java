package dev.podswitch.dataplane;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.packet.MalformedFrames;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames injected into a node's ring as if a pod sent them: every one must end in exactly the
 * counter its fault names, and the counters must stay balanced
 * (received = forwarded + answered + Σ drops).
 */
class NodeDatapathCountersTest
{
    private final ClusterDataplane cluster = ClusterDataplane.create(
        ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"), ClusterOptions.Underlay.MEMORY));
    private final Attachment a = cluster.addPod("default/a", "node-1", 0, ServedPorts.of());
    private final Attachment b = cluster.addPod("default/b", "node-1", 0, ServedPorts.of());
    private final Attachment c = cluster.addPod("default/c", "node-2", 0, ServedPorts.of());
    private final ClusterNode node1 = cluster.node("node-1");
    private final ClusterNode node2 = cluster.node("node-2");

    @AfterEach
    void close()
    {
        assertTrue(cluster.errors().entries().isEmpty(), () -> cluster.errors().entries().toString());
        cluster.close();
    }

    /** A snapshot of every counter, to compare what one injection changed. */
    private record Snapshot(long received, long forwarded, long answered, Map<DropReason, Long> drops)
    {
        static Snapshot of(final DatapathCounters counters)
        {
            final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
            for (final DropReason reason : DropReason.values())
            {
                drops.put(reason, counters.droppedCount(reason));
            }
            return new Snapshot(counters.receivedCount(), counters.forwardedCount(), counters.answeredCount(), drops);
        }

        /** The drops that grew since {@code before}, with how much. */
        Map<DropReason, Long> dropsSince(final Snapshot before)
        {
            final Map<DropReason, Long> grown = new EnumMap<>(DropReason.class);
            drops.forEach((reason, count) ->
            {
                if (count.longValue() != before.drops.get(reason).longValue())
                {
                    grown.put(reason, count - before.drops.get(reason));
                }
            });
            return grown;
        }
    }

    private MalformedFrames.Addresses fromA(final int destinationIp)
    {
        return new MalformedFrames.Addresses(a.mac(), node1.gatewayMac(), a.ip(), destinationIp);
    }

    /** Offers one frame on {@code portId} of node-1, runs the cluster, and asserts the single drop. */
    private void assertDroppedAs(final DropReason expected, final int portId, final byte[] frame, final String what)
    {
        final DatapathCounters counters = node1.datapath().counters();
        final Snapshot before = Snapshot.of(counters);
        assertTrue(node1.datapath().ring().offer(portId, MemorySegment.ofArray(frame), 0, frame.length), what);
        assertTrue(cluster.runUntilIdle(), what);
        final Snapshot after = Snapshot.of(counters);
        assertEquals(1, after.received() - before.received(), what);
        assertEquals(Map.of(expected, 1L), after.dropsSince(before), what);
        assertEquals(before.forwarded(), after.forwarded(), what);
        assertEquals(before.answered(), after.answered(), what);
        assertTrue(counters.isBalanced(), what + " " + counters.drops());
    }

    @Test
    void shouldCountEveryMalformedFrameUnderItsReasonWhenInjectedFromAPod()
    {
        final List<MalformedFrames.Case> corpus = MalformedFrames.malformed(fromA(c.ip()));
        assertTrue(corpus.size() > 300);
        for (final MalformedFrames.Case broken : corpus)
        {
            if (broken.expected() == DropReason.IP_FRAGMENT)
            {
                // The parser's verdict; the pipeline holds fragments for reassembly (NodeDatapathReassemblyTest).
                continue;
            }
            assertDroppedAs(broken.expected(), a.port().id(), broken.frame(), broken.name());
        }
    }

    @Test
    void shouldForwardEveryValidFrameOfTheCorpusWhenInjectedFromAPod()
    {
        for (final MalformedFrames.Case valid : MalformedFrames.validFrames(fromA(c.ip())))
        {
            final DatapathCounters counters = node1.datapath().counters();
            final Snapshot before1 = Snapshot.of(counters);
            final Snapshot before2 = Snapshot.of(node2.datapath().counters());
            assertTrue(node1.datapath().ring().offer(a.port().id(), MemorySegment.ofArray(valid.frame()), 0,
                valid.frame().length));
            assertTrue(cluster.runUntilIdle());
            // The ARP request is answered by the gateway (proxy ARP); the rest cross to node-2, and pod c
            // may answer (RST, port unreachable, ABORT, echo reply), which comes back the same way.
            final Snapshot after1 = Snapshot.of(counters);
            assertTrue(after1.forwarded() + after1.answered() > before1.forwarded() + before1.answered(), valid.name());
            assertEquals(Map.of(), after1.dropsSince(before1), valid.name());
            assertEquals(Map.of(), Snapshot.of(node2.datapath().counters()).dropsSince(before2), valid.name());
            assertTrue(counters.isBalanced(), valid.name());
            assertTrue(node2.datapath().counters().isBalanced(), valid.name());
        }
    }

    @Test
    void shouldDropAsSpoofedWhenSourceMacIpOrArpSenderIsAnotherPods()
    {
        final byte[] wrongMac = MalformedFrames.ipv4Frame(new MalformedFrames.Addresses(b.mac(), node1.gatewayMac(), a.ip(),
            c.ip()), 1, TestFrames.icmpEcho(8, 1, 1, new byte[8]));
        assertDroppedAs(DropReason.SPOOFED_SOURCE, a.port().id(), wrongMac, "source MAC of pod b");

        final byte[] wrongIp = MalformedFrames.ipv4Frame(new MalformedFrames.Addresses(a.mac(), node1.gatewayMac(), b.ip(),
            c.ip()), 1, TestFrames.icmpEcho(8, 1, 1, new byte[8]));
        assertDroppedAs(DropReason.SPOOFED_SOURCE, a.port().id(), wrongIp, "source IP of pod b");

        final byte[] arpAsB = TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, a.mac(), 0x0806,
            TestFrames.arp(1, a.mac(), b.ip(), 0, node1.gatewayIp())));
        assertDroppedAs(DropReason.SPOOFED_SOURCE, a.port().id(), arpAsB, "ARP sender IP of pod b");

        final byte[] arpSenderMac = TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, a.mac(), 0x0806,
            TestFrames.arp(1, b.mac(), a.ip(), 0, node1.gatewayIp())));
        assertDroppedAs(DropReason.SPOOFED_SOURCE, a.port().id(), arpSenderMac, "ARP sender MAC of pod b");
    }

    @Test
    void shouldDropAsTtlExpiredWhenTtlIsOneOrZero()
    {
        for (final int ttl : new int[] {1, 0})
        {
            for (final int destination : new int[] {b.ip(), c.ip()})
            {
                final byte[] frame = TestFrames.ethernet(node1.gatewayMac(), a.mac(), 0x0800,
                    TestFrames.ipv4(17, a.ip(), destination, ttl, TestFrames.udp(a.ip(), destination, 1000, 53, new byte[4])));
                assertDroppedAs(DropReason.TTL_EXPIRED, a.port().id(), frame, "TTL " + ttl);
            }
        }
    }

    @Test
    void shouldDropAsUnknownMacWhenDestinationMacIsNotTheGateway()
    {
        for (final long mac : new long[] {b.mac(), 0xFFFF_FFFF_FFFFL, node2.gatewayMac()})
        {
            final byte[] frame = MalformedFrames.ipv4Frame(new MalformedFrames.Addresses(a.mac(), mac, a.ip(), b.ip()), 1,
                TestFrames.icmpEcho(8, 1, 1, new byte[8]));
            assertDroppedAs(DropReason.UNKNOWN_MAC, a.port().id(), frame, "to " + PacketBytes.macToString(mac));
        }
    }

    @Test
    void shouldDropAsPortDownWhenPortIdIsUnboundOrItsPodWasRemoved()
    {
        final byte[] frame = MalformedFrames.ipv4Frame(fromA(b.ip()), 1, TestFrames.icmpEcho(8, 1, 1, new byte[8]));
        assertDroppedAs(DropReason.PORT_DOWN, 99, frame, "port 99 never bound");
        assertDroppedAs(DropReason.PORT_DOWN, -1, frame, "port -1");
        cluster.detach("default/a");
        assertDroppedAs(DropReason.PORT_DOWN, a.port().id(), frame, "pod a removed");
    }

    @Test
    void shouldDropAsBadTunnelFrameWhenVniOrVtepIsWrong()
    {
        final byte[] inner = TestFrames.ethernet(node2.gatewayMac(), node1.gatewayMac(), 0x0800,
            TestFrames.ipv4(1, a.ip(), c.ip(), 63, TestFrames.icmpEcho(8, 1, 1, new byte[8])));
        final int vni = cluster.options().vni();
        final DatapathCounters counters = node2.datapath().counters();
        final long before = counters.droppedCount(DropReason.BAD_TUNNEL_FRAME);
        final Object[][] cases = {
            {"wrong VNI", node1.vtepIp(), vxlan(0x08, vni + 1, inner)},
            {"unknown VTEP", TestFrames.ip(127, 1, 0, 99), vxlan(0x08, vni, inner)},
            {"I flag clear", node1.vtepIp(), vxlan(0x00, vni, inner)},
            {"truncated", node1.vtepIp(), java.util.Arrays.copyOf(vxlan(0x08, vni, inner), 10)}};
        for (int i = 0; i < cases.length; i++)
        {
            final byte[] payload = (byte[])cases[i][2];
            node2.datapath().tunnel().onVxlanPayload((Integer)cases[i][1], MemorySegment.ofArray(payload), 0, payload.length);
            assertTrue(cluster.runUntilIdle());
            assertEquals(before + i + 1, counters.droppedCount(DropReason.BAD_TUNNEL_FRAME), (String)cases[i][0]);
            assertTrue(counters.isBalanced(), (String)cases[i][0]);
        }
        final long forwarded = counters.forwardedCount();
        final byte[] good = vxlan(0x08, vni, inner);
        node2.datapath().tunnel().onVxlanPayload(node1.vtepIp(), MemorySegment.ofArray(good), 0, good.length);
        assertTrue(cluster.runUntilIdle());
        assertTrue(counters.forwardedCount() > forwarded, "the right VNI from node-1 reaches pod c");
        assertTrue(counters.isBalanced());
    }

    @Test
    void shouldAnswerGatewayArpAndPingAndStayBalancedWhenTrafficIsValid()
    {
        final DatapathCounters counters = node1.datapath().counters();
        final long answered = counters.answeredCount();
        final byte[] arp = TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, a.mac(), 0x0806,
            TestFrames.arp(1, a.mac(), a.ip(), 0, node1.gatewayIp())));
        final byte[] ping = MalformedFrames.ipv4Frame(fromA(node1.gatewayIp()), 1, TestFrames.icmpEcho(8, 7, 1, new byte[8]));
        for (final byte[] frame : new byte[][] {arp, ping})
        {
            assertTrue(node1.datapath().ring().offer(a.port().id(), MemorySegment.ofArray(frame), 0, frame.length));
        }
        assertTrue(cluster.runUntilIdle());
        assertEquals(answered + 2, counters.answeredCount());
        assertTrue(counters.isBalanced(), counters.drops().toString());
    }

    private static byte[] vxlan(final int flags, final int vni, final byte[] inner)
    {
        final byte[] payload = new byte[8 + inner.length];
        payload[0] = (byte)flags;
        java.nio.ByteBuffer.wrap(payload).putInt(4, vni << 8);
        System.arraycopy(inner, 0, payload, 8, inner.length);
        return payload;
    }
}
