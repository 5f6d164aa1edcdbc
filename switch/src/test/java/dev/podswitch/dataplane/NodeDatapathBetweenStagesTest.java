package dev.podswitch.dataplane;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.podswitch.dataplane.StageFixture.GATEWAY_IP;
import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.LOCAL_VTEP;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.NODE_3;
import static dev.podswitch.dataplane.StageFixture.NODE_3_POD;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_HOST;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.UNBOUND_PORT;
import static dev.podswitch.dataplane.StageFixture.VNI;
import static dev.podswitch.dataplane.StageFixture.arp;
import static dev.podswitch.dataplane.StageFixture.echoRequest;
import static dev.podswitch.dataplane.StageFixture.routed;
import static dev.podswitch.dataplane.StageFixture.udp;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks {@code NodeDatapath.process} makes between its stages — not inside any of them, so
 * the stage tests cannot see them: the sender lookup before anti-spoof, the tunnel's exemption from
 * it (and the inner-source-behind-its-VTEP check instead), which frames reach the gateway stage,
 * the gateway-MAC and TTL checks before policy, and the per-connection cache of routing decisions
 * with its table generation. One {@link NodeDatapath} built directly on {@link StageFixture}'s
 * table, no cluster: memory ports with capturing sinks and a recording underlay, frames offered to
 * its ring and drained by {@link NodeDatapath#doWork()}.
 */
class NodeDatapathBetweenStagesTest
{
    private final StageHarness.RecordingUnderlay underlay = new StageHarness.RecordingUnderlay();
    private final NodeDatapath node = new NodeDatapath("node-1", 64, Frame.EMULATED_CAPACITY, LOCAL_VTEP, VNI,
        underlay, StageFixture.table(1), new DistinctErrorLog());
    private final List<List<byte[]>> receivedByPortId = new ArrayList<>();

    NodeDatapathBetweenStagesTest()
    {
        receivedByPortId.add(null);
        for (final String name : new String[] {"a", "b", "h", "unbound", "spare"})
        {
            final List<byte[]> received = new ArrayList<>();
            final MemoryPort port = node.addMemoryPort(name, (frame, offset, length) ->
                received.add(TestFrames.toBytes(frame, offset, length)));
            assertEquals(receivedByPortId.size(), port.id(), "ports numbered as StageFixture's table expects");
            receivedByPortId.add(received);
        }
    }

    @AfterEach
    void everyFrameEndsInOneCounter()
    {
        assertTrue(node.counters().isBalanced(), node.counters().drops().toString());
    }

    private void send(final int inPortId, final int vtepIp, final byte[] bytes)
    {
        assertTrue(node.ring().offer(inPortId, vtepIp, MemorySegment.ofArray(bytes), 0, bytes.length));
        while (!node.isIdle())
        {
            node.doWork();
        }
    }

    private void fromPort(final LocalEndpoint port, final byte[] bytes)
    {
        send(port.portId(), 0, bytes);
    }

    private void fromTunnel(final int vtepIp, final byte[] bytes)
    {
        send(NodeDatapath.TUNNEL_PORT_ID, vtepIp, bytes);
    }

    private List<byte[]> receivedBy(final int portId)
    {
        return receivedByPortId.get(portId);
    }

    private DatapathCounters counters()
    {
        return node.counters();
    }

    @Test
    void shouldDropAsPortDownWhenNoEndpointIsBoundToTheIngressPort()
    {
        send(UNBOUND_PORT, 0, udp(POD_A, POD_B.ip(), 40000, 53));
        assertEquals(1, counters().droppedCount(DropReason.PORT_DOWN));
        assertTrue(receivedBy(POD_B.portId()).isEmpty());
    }

    @Test
    void shouldExemptTunnelFramesFromAntiSpoofButHoldTheirInnerSourceToTheSendingVtep()
    {
        final byte[] fromNode2Pod = udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53);
        fromTunnel(NODE_2.vtepIp(), fromNode2Pod);
        assertEquals(List.of(toHex(routed(fromNode2Pod, POD_A.mac(), GATEWAY_MAC))),
            receivedBy(POD_A.portId()).stream().map(TestFrames::toHex).toList(), "inner MACs are node-2's, not A's");
        fromTunnel(NODE_3.vtepIp(), udp(NODE_3.gatewayMac(), REMOTE_HOST, POD_A.ip(), 40000, 53));
        assertEquals(2, receivedBy(POD_A.portId()).size(), "a host attached to node-3 sends through node-3");

        fromTunnel(NODE_2.vtepIp(), udp(NODE_2.gatewayMac(), NODE_3_POD, POD_A.ip(), 40000, 53));
        fromTunnel(NODE_2.vtepIp(), udp(NODE_2.gatewayMac(), POD_B.ip(), POD_A.ip(), 40000, 53));
        fromTunnel(NODE_2.vtepIp(), udp(NODE_2.gatewayMac(), REMOTE_HOST, POD_A.ip(), 40000, 53));
        fromTunnel(TestFrames.ip(192, 168, 50, 99), udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53));
        assertEquals(4, counters().droppedCount(DropReason.SPOOFED_SOURCE),
            "node-3's pod, our own pod, node-3's host, or from a VTEP no node has");
        assertEquals(2, receivedBy(POD_A.portId()).size());
    }

    @Test
    void shouldNotAnswerArpOrPingWhenTheyComeFromTheTunnel()
    {
        fromTunnel(NODE_2.vtepIp(), arp(1, NODE_2.gatewayMac(), REMOTE_POD, GATEWAY_IP));
        fromTunnel(NODE_2.vtepIp(), echoRequest(NODE_2.gatewayMac(), REMOTE_POD, GATEWAY_IP, 1, 1, new byte[8]));
        assertEquals(2, counters().droppedCount(DropReason.NOT_FOR_US));
        assertEquals(0, counters().answeredCount());
        assertTrue(underlay.sent().isEmpty(), "answers never go back through the tunnel");
    }

    @Test
    void shouldAnswerTheGatewaysQuestionsThroughTheAskingPortAndPassEverythingElseOn()
    {
        fromPort(POD_A, arp(1, POD_A.mac(), POD_A.ip(), POD_B.ip()));
        fromPort(POD_A, echoRequest(POD_A.mac(), POD_A.ip(), GATEWAY_IP, 1, 1, new byte[8]));
        fromPort(POD_A, echoRequest(POD_A.mac(), POD_A.ip(), POD_B.ip(), 1, 1, new byte[8]));
        assertEquals(2, counters().answeredCount());
        assertEquals(2, receivedBy(POD_A.portId()).size());
        assertEquals(1, counters().forwardedCount(), "a ping to B is B's to answer");
        assertEquals(1, receivedBy(POD_B.portId()).size());
    }

    @Test
    void shouldDropAsUnknownMacWhenARoutedFrameIsNotAddressedToTheGateway()
    {
        final byte[] toBsMac = StageFixture.ipv4(POD_A.mac(), POD_B.mac(), POD_A.ip(), POD_B.ip(), 64, 17,
            TestFrames.udp(POD_A.ip(), POD_B.ip(), 40000, 53, new byte[4]));
        fromPort(POD_A, toBsMac);
        assertEquals(1, counters().droppedCount(DropReason.UNKNOWN_MAC));
        assertTrue(receivedBy(POD_B.portId()).isEmpty(), "pods never talk L2 to each other");
    }

    @Test
    void shouldDropAsTtlExpiredBeforePolicyWhenTtlIsOneOrLess()
    {
        fromPort(POD_A, udp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 53, 1));
        fromPort(POD_A, udp(POD_A.mac(), POD_A.ip(), REMOTE_POD, 40000, 53, 0));
        assertEquals(2, counters().droppedCount(DropReason.TTL_EXPIRED));
        assertEquals(0, node.connections().size(), "an expired packet starts no connection");
        assertTrue(underlay.sent().isEmpty());

        final byte[] lastHop = udp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 53, 2);
        fromPort(POD_A, lastHop);
        assertEquals(toHex(routed(lastHop, POD_B.mac(), GATEWAY_MAC)), toHex(receivedBy(POD_B.portId()).getFirst()),
            "TTL 2 leaves with 1");
    }

    @Test
    void shouldRouteAConnectionAfreshWhenANewForwardingTableGenerationIsPublished()
    {
        final byte[] query = udp(POD_A, POD_B.ip(), 40000, 53);
        fromPort(POD_A, query);
        assertEquals(1, receivedBy(POD_B.portId()).size());
        assertEquals(1, node.connections().size(), "the first packet tracked the connection and cached its route");

        // B moves to port 5. Published under the same generation, the connection still uses the
        // decision cached under generation 1 — B's old port, whose endpoint is gone — which shows the
        // second packet took the cached path, and that the generation alone keys the cache.
        final LocalEndpoint moved = new LocalEndpoint(5, 0x0A58_0AF4_0055L, POD_B.ip(), LocalEndpoint.Kind.POD, "b");
        node.publish(StageFixture.table(1, List.of(POD_A, moved, HOST)));
        fromPort(POD_A, query);
        assertEquals(1, counters().droppedCount(DropReason.PORT_DOWN), "the cached decision, now stale");
        assertTrue(receivedBy(5).isEmpty());

        node.publish(StageFixture.table(2, List.of(POD_A, moved, HOST)));
        fromPort(POD_A, query);
        assertEquals(1, receivedBy(POD_B.portId()).size());
        assertEquals(List.of(toHex(routed(query, moved.mac(), GATEWAY_MAC))),
            receivedBy(5).stream().map(TestFrames::toHex).toList(), "generation 2 routed it again");
    }

    @Test
    void shouldNotReuseACachedTunnelDecisionWhenTheSameFlowArrivesFromTheTunnel()
    {
        // A host in the middle of a move: attached here (port 3) and still listed behind node-3.
        final LocalEndpoint movingHost = new LocalEndpoint(HOST.portId(), HOST.mac(), REMOTE_HOST,
            LocalEndpoint.Kind.HOST, "uplink/moving");
        node.publish(StageFixture.table(2, List.of(POD_A, POD_B, movingHost)));
        final byte[] flow = udp(HOST.mac(), REMOTE_HOST, REMOTE_POD, 5000, 53);
        fromPort(movingHost, flow);
        assertEquals(1, underlay.sent().size(), "to node-2, and the decision cached for this direction");

        // The same flow, same direction, now from node-3's VTEP (where the table also puts the host).
        fromTunnel(NODE_3.vtepIp(), udp(NODE_3.gatewayMac(), REMOTE_HOST, REMOTE_POD, 5000, 53));
        assertEquals(1, counters().droppedCount(DropReason.NO_ROUTE));
        assertEquals(1, underlay.sent().size(), "never back into the tunnel, cached decision or not");
    }
}
