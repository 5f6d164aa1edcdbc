package dev.podswitch.dataplane;

import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.classify.PortRulesBuilder;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.reassembly.Fragments;
import dev.podswitch.dataplane.reassembly.Ipv4Reassembly;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.util.IntHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.podswitch.dataplane.StageFixture.GATEWAY_IP;
import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.LOCAL_VTEP;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.VNI;
import static dev.podswitch.dataplane.StageFixture.routed;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPv4 fragments through a whole node: a UDP datagram larger than the MTU, cut by its sender, is
 * held until whole, judged once by NetworkPolicy on its ports, and its fragments forwarded — to a
 * local pod or through the tunnel — or every one of them dropped under the verdict's reason.
 * Broken fragment trains are dropped and counted; nothing stays held. {@link NodeDatapath} on
 * {@link StageFixture}'s table with memory ports; frames go through its ring, except where a test
 * sets the clock itself ({@link NodeDatapath#beginBatch}).
 */
class NodeDatapathReassemblyTest
{
    private static final int UDP = 17;
    private static final int TCP = 6;
    private static final int IDENTITY_A = 1;
    private static final int IDENTITY_B = 2;
    private static final int IDENTITY_REMOTE = 3;
    private static final int SERVED_PORT = 53;

    private final StageHarness.RecordingUnderlay underlay = new StageHarness.RecordingUnderlay();
    private final NodeDatapath node = new NodeDatapath("node-1", 64, Frame.EMULATED_CAPACITY, LOCAL_VTEP, VNI,
        underlay, StageFixture.table(1), new DistinctErrorLog());
    private final List<List<byte[]>> receivedByPortId = new ArrayList<>();

    NodeDatapathReassemblyTest()
    {
        receivedByPortId.add(null);
        for (final String name : new String[] {"a", "b", "h"})
        {
            final List<byte[]> received = new ArrayList<>();
            final MemoryPort port = node.addMemoryPort(name, (frame, offset, length) ->
                received.add(TestFrames.toBytes(frame, offset, length)));
            assertEquals(receivedByPortId.size(), port.id());
            receivedByPortId.add(received);
        }
        // B admits UDP 53 from A and from node-2's pod, nothing else; A and the remote pod are open.
        final DirectionRules onlyDns = new DirectionRules(true, new PortRulesBuilder().ports(UDP, SERVED_PORT,
            SERVED_PORT, new PeerSetBuilder().identity(IDENTITY_A).identity(IDENTITY_REMOTE)).build());
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(4);
        rulesByIp.put(POD_A.ip(), new PolicyTable.EndpointRules(IDENTITY_A, DirectionRules.NOT_ISOLATED,
            DirectionRules.NOT_ISOLATED));
        rulesByIp.put(POD_B.ip(), new PolicyTable.EndpointRules(IDENTITY_B, onlyDns, DirectionRules.NOT_ISOLATED));
        rulesByIp.put(REMOTE_POD, new PolicyTable.EndpointRules(IDENTITY_REMOTE, DirectionRules.NOT_ISOLATED,
            DirectionRules.NOT_ISOLATED));
        node.publishPolicy(new PolicyTable(1, rulesByIp));
    }

    @AfterEach
    void everyFrameEndsInOneCounterAndNothingStaysHeld()
    {
        assertEquals(0, node.reassembly().heldFragments());
        assertTrue(node.counters().isBalanced(), node.counters().drops().toString());
    }

    private DatapathCounters counters()
    {
        return node.counters();
    }

    private List<byte[]> receivedBy(final int portId)
    {
        return receivedByPortId.get(portId);
    }

    private void send(final int inPortId, final int vtepIp, final List<byte[]> frames)
    {
        for (final byte[] bytes : frames)
        {
            assertTrue(node.ring().offer(inPortId, vtepIp, MemorySegment.ofArray(bytes), 0, bytes.length));
        }
        while (!node.isIdle())
        {
            node.doWork();
        }
    }

    /** A 4,000-byte UDP datagram (header included) to {@code destinationPort}: fragments of 1,480, 1,480 and 1,040 bytes. */
    private static byte[] bigUdp(final int sourceIp, final int destinationIp, final int destinationPort)
    {
        return TestFrames.udp(sourceIp, destinationIp, 5353, destinationPort, Fragments.pattern(3_992));
    }

    private static List<byte[]> cut(final long sourceMac, final int sourceIp, final int destinationIp, final byte[] l4)
    {
        return Fragments.cut(sourceMac, GATEWAY_MAC, sourceIp, destinationIp, UDP, 0x4242, l4, 1_480);
    }

    @Test
    void shouldForwardEveryFragmentWhenPolicyAllowsTheDatagramsPort()
    {
        final byte[] datagram = bigUdp(POD_A.ip(), POD_B.ip(), SERVED_PORT);
        final List<byte[]> fragments = cut(POD_A.mac(), POD_A.ip(), POD_B.ip(), datagram);
        assertEquals(3, fragments.size());

        send(POD_A.portId(), 0, fragments.reversed());

        assertEquals(fragments.reversed().stream().map(f -> toHex(routed(f, POD_B.mac(), GATEWAY_MAC))).toList(),
            receivedBy(POD_B.portId()).stream().map(TestFrames::toHex).toList(),
            "the sender's own fragments, routed (MACs, TTL - 1), in the order they came");
        assertArrayEquals(datagram, Fragments.join(receivedBy(POD_B.portId())), "B can put the datagram together");
        assertEquals(3, counters().forwardedCount());
        assertEquals(1, node.connections().size(), "the datagram started one tracked flow");
    }

    @Test
    void shouldDropEveryFragmentAsDeniedWhenPolicyDeniesTheDatagramsPort()
    {
        final List<byte[]> fragments = cut(POD_A.mac(), POD_A.ip(), POD_B.ip(), bigUdp(POD_A.ip(), POD_B.ip(), 54));

        send(POD_A.portId(), 0, fragments);

        assertTrue(receivedBy(POD_B.portId()).isEmpty());
        assertEquals(Map.of(DropReason.POLICY_DENIED_INGRESS, 3L), counters().drops(),
            "judged by the first fragment's port, the later ones (no ports) with it");
        assertEquals(0, node.connections().size());
    }

    @Test
    void shouldSendEveryFragmentThroughTheTunnelFromOneOuterPortWhenTheDatagramIsForAnotherNode()
    {
        final byte[] datagram = bigUdp(POD_A.ip(), REMOTE_POD, 9999);
        final List<byte[]> fragments = cut(POD_A.mac(), POD_A.ip(), REMOTE_POD, datagram);

        send(POD_A.portId(), 0, fragments);

        assertEquals(3, underlay.sent().size());
        assertEquals(1, underlay.sent().stream().map(StageHarness.Tunnelled::sourcePort).distinct().count(),
            "one flow hash for the datagram: its fragments take one path");
        assertTrue(underlay.sent().stream().allMatch(sent -> sent.remoteVtepIp() == NODE_2.vtepIp()));
        assertArrayEquals(datagram, Fragments.join(underlay.sent().stream().map(StageHarness.Tunnelled::inner).toList()));
        assertEquals(3, counters().forwardedCount());
    }

    @Test
    void shouldJudgeFragmentsFromTheTunnelByTheReceiversIngressPolicy()
    {
        final byte[] allowed = bigUdp(REMOTE_POD, POD_B.ip(), SERVED_PORT);
        send(NodeDatapath.TUNNEL_PORT_ID, NODE_2.vtepIp(), cut(NODE_2.gatewayMac(), REMOTE_POD, POD_B.ip(), allowed));
        send(NodeDatapath.TUNNEL_PORT_ID, NODE_2.vtepIp(),
            cut(NODE_2.gatewayMac(), REMOTE_POD, POD_B.ip(), bigUdp(REMOTE_POD, POD_B.ip(), 54)));

        assertArrayEquals(allowed, Fragments.join(receivedBy(POD_B.portId())));
        assertEquals(3, counters().forwardedCount());
        assertEquals(Map.of(DropReason.POLICY_DENIED_INGRESS, 3L), counters().drops());
    }

    @Test
    void shouldDropEveryFragmentWhenTheFirstIsTooShortForTheTcpHeader()
    {
        // RFC 1858's tiny fragment: 8 bytes of TCP header up front, the flags in the next fragment.
        final byte[] syn = TestFrames.tcp(POD_A.ip(), POD_B.ip(), 40000, SERVED_PORT, 0x02, new byte[32]);
        final List<byte[]> fragments = Fragments.cut(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), POD_B.ip(), TCP, 7, syn, 8);

        send(POD_A.portId(), 0, fragments);

        assertEquals(Map.of(DropReason.TRUNCATED_L4, (long)fragments.size()), counters().drops());
        assertTrue(receivedBy(POD_B.portId()).isEmpty());
    }

    @Test
    void shouldDropAndCountEveryFragmentWhenFragmentsOverlap()
    {
        final byte[] datagram = bigUdp(POD_A.ip(), POD_B.ip(), SERVED_PORT);
        final byte[] first = Fragments.fragment(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), POD_B.ip(), UDP, 9, datagram, 0,
            1_480, true);
        final byte[] overlapping = Fragments.fragment(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), POD_B.ip(), UDP, 9,
            datagram, 1_400, 2_880, true);

        send(POD_A.portId(), 0, List.of(first, first, overlapping));

        assertEquals(Map.of(DropReason.FRAGMENT_DUPLICATE, 1L, DropReason.FRAGMENT_OVERLAP, 2L), counters().drops());
        assertTrue(receivedBy(POD_B.portId()).isEmpty());
    }

    @Test
    void shouldDropAFragmentToTheGatewayAsNotReassembled()
    {
        final byte[] ping = TestFrames.icmpEcho(8, 1, 1, Fragments.pattern(2_000));
        send(POD_A.portId(), 0, Fragments.cut(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), GATEWAY_IP, 1, 3, ping, 1_480));

        assertEquals(Map.of(DropReason.IP_FRAGMENT, 2L), counters().drops());
        assertTrue(receivedBy(POD_A.portId()).isEmpty());
    }

    @Test
    void shouldDropHeldFragmentsAsTimedOutWhenABatchEndsAfterTheTimeout()
    {
        final List<byte[]> fragments = cut(POD_A.mac(), POD_A.ip(), POD_B.ip(), bigUdp(POD_A.ip(), POD_B.ip(), 53));
        final long startNs = 1_000_000_000L;
        final long timeoutNs = Ipv4Reassembly.TIMEOUT_MS * 1_000_000L;
        node.beginBatch(startNs);
        node.handle(frame(POD_A.portId(), fragments.get(0)));
        node.handle(frame(POD_A.portId(), fragments.get(2)));
        node.endBatch(2);
        assertEquals(2, node.reassembly().heldFragments());

        node.beginBatch(startNs + timeoutNs - 1);
        node.endBatch(0);
        assertEquals(2, node.reassembly().heldFragments(), "not yet");
        node.beginBatch(startNs + timeoutNs);
        node.endBatch(0);

        assertEquals(Map.of(DropReason.FRAGMENT_TIMEOUT, 2L), counters().drops());
        assertTrue(receivedBy(POD_B.portId()).isEmpty());
    }

    private static Frame frame(final int inPortId, final byte[] bytes)
    {
        final Frame frame = new Frame(Frame.EMULATED_CAPACITY);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, frame.segment(), 0, bytes.length);
        frame.length(bytes.length);
        frame.inPortId(inPortId);
        return frame;
    }
}
