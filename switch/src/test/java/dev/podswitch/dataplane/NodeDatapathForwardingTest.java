package dev.podswitch.dataplane;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.packet.MalformedFrames;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static dev.podswitch.dataplane.packet.TestFrames.u16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What leaves the pipeline, byte for byte: the gateway's ARP and echo answers and a routed frame
 * between two pods of one node. The pods' memory ports are pointed at capturing sinks.
 */
class NodeDatapathForwardingTest
{
    private final ClusterDataplane cluster = ClusterDataplane.create(
        ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"), ClusterOptions.Underlay.MEMORY));
    private final Attachment a = cluster.addPod("default/a", "node-1", 0, ServedPorts.of());
    private final Attachment b = cluster.addPod("default/b", "node-1", 0, ServedPorts.of());
    private final ClusterNode node1 = cluster.node("node-1");
    private final List<byte[]> toA = new ArrayList<>();
    private final List<byte[]> toB = new ArrayList<>();

    NodeDatapathForwardingTest()
    {
        a.memoryPort().sink((frame, offset, length) -> toA.add(TestFrames.toBytes(frame, offset, length)));
        b.memoryPort().sink((frame, offset, length) -> toB.add(TestFrames.toBytes(frame, offset, length)));
    }

    @AfterEach
    void close()
    {
        assertTrue(node1.datapath().counters().isBalanced(), node1.datapath().counters().drops().toString());
        assertTrue(node1.datapath().counters().drops().isEmpty(), node1.datapath().counters().drops().toString());
        cluster.close();
    }

    private void sendFromA(final byte[] frame)
    {
        assertTrue(node1.datapath().ring().offer(a.port().id(), MemorySegment.ofArray(frame), 0, frame.length));
        assertTrue(cluster.runUntilIdle());
    }

    @Test
    void shouldAnswerArpForAnyOtherAddressWithTheGatewayMacWhenPodAsks()
    {
        for (final int target : new int[] {node1.gatewayIp(), b.ip(), TestFrames.ip(10, 244, 1, 2)})
        {
            toA.clear();
            sendFromA(TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, a.mac(), 0x0806,
                TestFrames.arp(1, a.mac(), a.ip(), 0, target))));
            assertEquals(1, toA.size());
            final byte[] expected = TestFrames.pad(TestFrames.ethernet(a.mac(), node1.gatewayMac(), 0x0806,
                TestFrames.arp(2, node1.gatewayMac(), target, a.mac(), a.ip())));
            assertEquals(toHex(expected), toHex(toA.getFirst()));
        }
    }

    @Test
    void shouldAnswerEchoToGatewayWithValidChecksumsWhenPodPings()
    {
        final byte[] data = "abcdefghijklmnopqrstuvw".getBytes();
        final byte[] request = MalformedFrames.ipv4Frame(new MalformedFrames.Addresses(a.mac(), node1.gatewayMac(), a.ip(),
            node1.gatewayIp()), 1, TestFrames.icmpEcho(8, 0x4242, 9, data));
        sendFromA(request);
        assertEquals(1, toA.size());
        final byte[] reply = toA.getFirst();
        assertEquals(request.length, reply.length);
        final ByteBuffer view = ByteBuffer.wrap(reply);
        assertEquals(a.mac(), ((long)view.getShort(0) & 0xFFFF) << 32 | (view.getInt(2) & 0xFFFF_FFFFL));
        assertEquals(node1.gatewayMac(), ((long)view.getShort(6) & 0xFFFF) << 32 | (view.getInt(8) & 0xFFFF_FFFFL));
        assertEquals(node1.gatewayIp(), view.getInt(ETH + 12));
        assertEquals(a.ip(), view.getInt(ETH + 16));
        assertEquals(0xFFFF, TestFrames.naiveSum(reply, ETH, 20, 0), "IPv4 header checksum of the reply");
        final int icmp = ETH + 20;
        assertEquals(0, reply[icmp], "echo reply");
        assertEquals(0, reply[icmp + 1]);
        assertEquals(0x4242, u16(reply, icmp + 4));
        assertEquals(9, u16(reply, icmp + 6));
        assertEquals(0xFFFF, TestFrames.naiveSum(reply, icmp, reply.length - icmp, 0), "ICMP checksum of the reply");
        assertEquals(toHex(data), toHex(Arrays.copyOfRange(reply, icmp + 8, reply.length)));
    }

    @Test
    void shouldChangeOnlyMacsTtlAndChecksumWhenRoutingBetweenPodsOfOneNode()
    {
        final MalformedFrames.Addresses aToB = new MalformedFrames.Addresses(a.mac(), node1.gatewayMac(), a.ip(), b.ip());
        for (final MalformedFrames.Case valid : MalformedFrames.validFrames(aToB))
        {
            if (valid.name().equals("arp-request"))
            {
                continue;
            }
            toB.clear();
            sendFromA(valid.frame());
            assertEquals(1, toB.size(), valid.name());
            final byte[] expected = valid.frame().clone();
            ByteBuffer.wrap(expected).putShort(0, (short)(b.mac() >>> 32)).putInt(2, (int)b.mac())
                .putShort(6, (short)(node1.gatewayMac() >>> 32)).putInt(8, (int)node1.gatewayMac());
            expected[ETH + 8]--;
            TestFrames.fixIpChecksum(expected);
            assertEquals(toHex(expected), toHex(toB.getFirst()), valid.name());
        }
    }
}
