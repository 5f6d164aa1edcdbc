package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.StageFixture;
import dev.podswitch.dataplane.StageHarness;
import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.MalformedFrames;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.LOCAL_VTEP;
import static dev.podswitch.dataplane.StageFixture.NOBODY_IN_CLUSTER;
import static dev.podswitch.dataplane.StageFixture.NOBODY_OUTSIDE;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.NODE_3;
import static dev.podswitch.dataplane.StageFixture.NODE_3_POD;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_HOST;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.routed;
import static dev.podswitch.dataplane.StageFixture.tcp;
import static dev.podswitch.dataplane.StageFixture.udp;
import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forward stage alone: a local pod or host gets the frame on its port, another node's pod CIDR
 * or attached host gets it through the tunnel to that node's VTEP, and the frame changes only as a
 * router hop changes it (MACs, TTL, header checksum). Frames from the tunnel are delivered locally
 * or dropped, never tunnelled again. What ports and the underlay received is compared byte for byte
 * with frames built independently by {@link TestFrames}.
 *
 * <p>The TTL check and the per-connection cache of decisions are not in the router: the pipeline
 * does both around it (see {@code NodeDatapathBetweenStagesTest}).
 */
class RouterStageTest
{
    private final Router router = new Router(Frame.EMULATED_CAPACITY);
    /** As {@code NodeDatapath.process} calls it for a frame no cached decision covers. */
    private final StageHarness.Stage route = (frame, node) ->
    {
        final long action = Router.resolve(frame.meta().ipDestination,
            frame.inPortId() == NodeDatapath.TUNNEL_PORT_ID, node.table());
        return action == Router.NO_ROUTE ? DropReason.NO_ROUTE : router.apply(action, frame.segment(),
            frame.length(), frame.offload(), frame.meta(), node.table(), node.ports(), node.tunnel());
    };
    /** The same on a node without a tunnel (a single-node cluster). */
    private final StageHarness.Stage routeWithoutTunnel = (frame, node) ->
        router.route(frame.segment(), frame.length(), frame.meta(), frame.inPortId() == NodeDatapath.TUNNEL_PORT_ID,
            node.table(), node.ports(), null);

    private final StageHarness harness = StageFixture.harness();

    @AfterEach
    void everyFrameEndsInOneCounter()
    {
        assertTrue(harness.isBalanced(), harness.counters().drops().toString());
    }

    private Frame fromPort(final LocalEndpoint port, final byte[] bytes)
    {
        return harness.frame(port.portId(), bytes);
    }

    // ---- local delivery ----

    @Test
    void shouldDeliverToLocalPodsPortWithRoutedMacsAndTtlWhenDestinationIsOnThisNode()
    {
        final MalformedFrames.Addresses aToB = new MalformedFrames.Addresses(POD_A.mac(), GATEWAY_MAC, POD_A.ip(),
            POD_B.ip());
        int sent = 0;
        for (final MalformedFrames.Case valid : MalformedFrames.validFrames(aToB))
        {
            if (valid.name().equals("arp-request"))
            {
                continue;
            }
            final Frame frame = fromPort(POD_A, valid.frame());
            assertNull(harness.run(route, frame), valid.name());
            final byte[] expected = routed(valid.frame(), POD_B.mac(), GATEWAY_MAC);
            assertEquals(toHex(expected), toHex(harness.receivedBy(POD_B.portId()).get(sent++)), valid.name());
            assertEquals(toHex(expected), toHex(StageHarness.bytes(frame)), "rewritten in place: " + valid.name());
        }
        assertEquals(sent, harness.sentAnywhere(), "nothing went anywhere but B's port");
        assertTrue(harness.tunnelled().isEmpty());
    }

    @Test
    void shouldDeliverToTheUplinkWhenDestinationIsAHostAttachedHere()
    {
        final byte[] bytes = udp(POD_A, HOST.ip(), 40000, 53);
        assertNull(harness.run(route, fromPort(POD_A, bytes)));
        assertEquals(List.of(toHex(routed(bytes, HOST.mac(), GATEWAY_MAC))),
            harness.receivedBy(HOST.portId()).stream().map(TestFrames::toHex).toList());
    }

    @Test
    void shouldDeliverFromTheTunnelToLocalPodWhenDestinationIsOnThisNode()
    {
        final byte[] bytes = tcp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 50000, 443, 0x02);
        assertNull(harness.run(route, harness.fromTunnel(NODE_2.vtepIp(), bytes)));
        assertEquals(List.of(toHex(routed(bytes, POD_A.mac(), GATEWAY_MAC))),
            harness.receivedBy(POD_A.portId()).stream().map(TestFrames::toHex).toList());
        assertTrue(harness.tunnelled().isEmpty());
    }

    @Test
    void shouldDeliverWhereTheCurrentTableSaysWhenAPodMovesToAnotherPort()
    {
        final LocalEndpoint moved = new LocalEndpoint(5, 0x0A58_0AF4_0055L, POD_B.ip(), LocalEndpoint.Kind.POD,
            "default/b");
        harness.publish(StageFixture.table(2, List.of(POD_A, moved, HOST)));
        final byte[] bytes = udp(POD_A, POD_B.ip(), 40000, 53);
        assertNull(harness.run(route, fromPort(POD_A, bytes)));
        assertTrue(harness.receivedBy(POD_B.portId()).isEmpty(), "B's old port");
        assertEquals(toHex(routed(bytes, moved.mac(), GATEWAY_MAC)), toHex(harness.receivedBy(5).getFirst()));
    }

    // ---- the tunnel ----

    @Test
    void shouldEncapsulateForTheNodeOwningTheCidrWithInnerMacsOfThatNodesGateway()
    {
        final byte[] toNode2 = udp(POD_A, REMOTE_POD, 40000, 53);
        final byte[] toNode3 = tcp(POD_A.mac(), POD_A.ip(), NODE_3_POD, 40001, 80, 0x02);
        assertNull(harness.run(route, fromPort(POD_A, toNode2)));
        assertNull(harness.run(route, fromPort(POD_A, toNode3)));

        assertEquals(2, harness.tunnelled().size());
        assertEquals(2, harness.sentAnywhere(), "no port got anything");
        final StageHarness.Tunnelled first = harness.tunnelled().get(0);
        assertOuterHeaders(first, NODE_2.vtepIp());
        assertEquals(toHex(routed(toNode2, NODE_2.gatewayMac(), GATEWAY_MAC)), toHex(first.inner()));
        final StageHarness.Tunnelled second = harness.tunnelled().get(1);
        assertOuterHeaders(second, NODE_3.vtepIp());
        assertEquals(toHex(routed(toNode3, NODE_3.gatewayMac(), GATEWAY_MAC)), toHex(second.inner()));
    }

    @Test
    void shouldEncapsulateForTheNodeAHostIsAttachedToWhenHostIsOutsideTheCluster()
    {
        final byte[] bytes = udp(POD_A, REMOTE_HOST, 40000, 514);
        assertNull(harness.run(route, fromPort(POD_A, bytes)));
        final StageHarness.Tunnelled sent = harness.tunnelled().getFirst();
        assertOuterHeaders(sent, NODE_3.vtepIp());
        assertEquals(toHex(routed(bytes, NODE_3.gatewayMac(), GATEWAY_MAC)), toHex(sent.inner()));
    }

    @Test
    void shouldKeepOneOuterSourcePortPerFlowWhenAFlowSendsAgain()
    {
        for (int i = 0; i < 3; i++)
        {
            harness.run(route, fromPort(POD_A, udp(POD_A, REMOTE_POD, 40000, 53)));
        }
        final List<Integer> sourcePorts = harness.tunnelled().stream().map(StageHarness.Tunnelled::sourcePort).toList();
        assertEquals(3, sourcePorts.size());
        assertEquals(1, sourcePorts.stream().distinct().count(), sourcePorts.toString());
    }

    /** The outer headers a kernel VXLAN device would expect, read back through the flyweights. */
    private static void assertOuterHeaders(final StageHarness.Tunnelled sent, final int remoteVtepIp)
    {
        assertEquals(remoteVtepIp, sent.remoteVtepIp());
        final MemorySegment outer = MemorySegment.ofArray(sent.outer());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, new EthernetFlyweight().wrap(outer, 0).etherType());
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(outer, ETH);
        assertEquals(LOCAL_VTEP, ipv4.sourceIp());
        assertEquals(remoteVtepIp, ipv4.destinationIp());
        assertEquals(17, ipv4.protocol());
        assertTrue(ipv4.isChecksumValid());
        assertEquals(sent.outer().length - ETH, ipv4.totalLength());
        final UdpFlyweight udp = new UdpFlyweight().wrap(outer, ETH + Ipv4Flyweight.MIN_HEADER_LENGTH);
        assertEquals(VxlanFlyweight.UDP_PORT, udp.destinationPort());
        assertEquals(sent.sourcePort(), udp.sourcePort());
        assertTrue(udp.sourcePort() >= 49152, "an ephemeral port: " + udp.sourcePort());
        final VxlanFlyweight vxlan = new VxlanFlyweight().wrap(outer,
            ETH + Ipv4Flyweight.MIN_HEADER_LENGTH + UdpFlyweight.HEADER_LENGTH);
        assertTrue(vxlan.isVniValid());
        assertEquals(StageFixture.VNI, vxlan.vni());
    }

    // ---- no route ----

    @Test
    void shouldDropAsNoRouteAndLeaveFrameUntouchedWhenNobodyOwnsTheAddress()
    {
        for (final int destination : new int[] {NOBODY_IN_CLUSTER, NOBODY_OUTSIDE})
        {
            final byte[] bytes = udp(POD_A, destination, 40000, 53);
            final Frame frame = fromPort(POD_A, bytes);
            assertEquals(DropReason.NO_ROUTE, harness.run(route, frame));
            assertEquals(toHex(bytes), toHex(StageHarness.bytes(frame)));
        }
        assertEquals(2, harness.counters().droppedCount(DropReason.NO_ROUTE));
        assertEquals(0, harness.sentAnywhere());
    }

    @Test
    void shouldNeverSendTunnelFramesBackIntoTheTunnelWhenDestinationIsRemote()
    {
        for (final int destination : new int[] {REMOTE_POD, NODE_3_POD, REMOTE_HOST})
        {
            final byte[] bytes = udp(NODE_2.gatewayMac(), REMOTE_POD + 1, destination, 40000, 53);
            final Frame frame = harness.fromTunnel(NODE_2.vtepIp(), bytes);
            assertEquals(DropReason.NO_ROUTE, harness.run(route, frame));
            assertEquals(toHex(bytes), toHex(StageHarness.bytes(frame)));
        }
        assertEquals(0, harness.sentAnywhere(), "no loop through the tunnel, whatever a stale table says");
    }

    @Test
    void shouldDropRemoteDestinationsAsNoRouteWhenTheNodeHasNoTunnel()
    {
        assertEquals(DropReason.NO_ROUTE, harness.run(routeWithoutTunnel, fromPort(POD_A, udp(POD_A, REMOTE_POD, 1, 2))));
        assertNull(harness.run(routeWithoutTunnel, fromPort(POD_A, udp(POD_A, POD_B.ip(), 1, 2))));
        assertEquals(1, harness.receivedBy(POD_B.portId()).size());
    }

    // ---- failures to send ----

    @Test
    void shouldDropAsPortDownWhenTheDestinationsPortIsGoneOrClosed()
    {
        harness.removePort(POD_B.portId());
        assertEquals(DropReason.PORT_DOWN, harness.run(route, fromPort(POD_A, udp(POD_A, POD_B.ip(), 1, 2))));
        harness.port(HOST.portId()).close();
        assertEquals(DropReason.PORT_DOWN, harness.run(route, fromPort(POD_A, udp(POD_A, HOST.ip(), 1, 2))));
        assertEquals(2, harness.counters().droppedCount(DropReason.PORT_DOWN));
        assertEquals(0, harness.sentAnywhere());
    }

    @Test
    void shouldRefuseALocalActionWhenItsEndpointLeftTheTableSinceItWasResolved()
    {
        final Frame frame = fromPort(POD_A, udp(POD_A, POD_B.ip(), 1, 2));
        final long action = Router.resolve(POD_B.ip(), false, harness.table());
        harness.publish(StageFixture.table(2, List.of(POD_A, HOST)));
        assertEquals(DropReason.PORT_DOWN, harness.run((f, node) -> router.apply(action, f.segment(), f.length(),
            f.meta(), node.table(), node.ports(), node.tunnel()), frame));
        assertEquals(0, harness.sentAnywhere(), "B's port is still there, but B is not");
    }

    @Test
    void shouldDropAsTunnelTxFailedWhenTheUnderlayRefuses()
    {
        harness.refuseTunnelSends();
        assertEquals(DropReason.TUNNEL_TX_FAILED, harness.run(route, fromPort(POD_A, udp(POD_A, REMOTE_POD, 1, 2))));
        assertEquals(1, harness.counters().droppedCount(DropReason.TUNNEL_TX_FAILED));
    }

    // ---- offload requests ----

    /** A TCP frame whose checksum field holds only the pseudo-header sum, as a TAP with offloads hands it over. */
    private static byte[] partialChecksum(final byte[] complete)
    {
        final byte[] partial = complete.clone();
        final int l4 = ETH + 20;
        final int l4Length = TestFrames.u16(complete, ETH + 2) - 20;
        TestFrames.putU16(partial, l4 + 16, TestFrames.naivePseudoSum(POD_A.ip(), POD_B.ip(), 6, l4Length));
        return partial;
    }

    private static final long CHECKSUM_REQUEST = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_NONE, 0, ETH + 20,
        16);

    @Test
    void shouldHandTheRequestOnWhenTheDestinationPortTakesOffloads()
    {
        harness.port(POD_B.portId()).acceptOffloads();
        final byte[] partial = partialChecksum(tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, 0x18));
        final Frame frame = fromPort(POD_A, partial);
        frame.offload(CHECKSUM_REQUEST);
        assertNull(harness.run(route, frame));
        assertEquals(toHex(routed(partial, POD_B.mac(), GATEWAY_MAC)), toHex(harness.receivedBy(POD_B.portId()).getFirst()),
            "the receiving kernel finishes the checksum");
        assertEquals(List.of(CHECKSUM_REQUEST), harness.port(POD_B.portId()).offloadRequests());
    }

    @Test
    void shouldFinishTheChecksumInSoftwareWhenTheDestinationPortTakesNoOffloads()
    {
        final byte[] complete = tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, 0x18);
        final Frame frame = fromPort(POD_A, partialChecksum(complete));
        frame.offload(CHECKSUM_REQUEST);
        assertNull(harness.run(route, frame));
        assertEquals(toHex(routed(complete, POD_B.mac(), GATEWAY_MAC)), toHex(harness.receivedBy(POD_B.portId()).getFirst()));
        assertEquals(List.of(0L), harness.port(POD_B.portId()).offloadRequests());
    }

    @Test
    void shouldDropAsBadOffloadWithoutTouchingTheFrameWhenTheRequestCannotBeHonoured()
    {
        final byte[] bytes = udp(POD_A, POD_B.ip(), 40000, 53);
        final Frame frame = fromPort(POD_A, bytes);
        frame.offload(Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, ETH + 20, 16));
        assertEquals(DropReason.BAD_OFFLOAD, harness.run(route, frame), "TCP segmentation of a UDP datagram");
        assertEquals(toHex(bytes), toHex(StageHarness.bytes(frame)));
        assertEquals(0, harness.sentAnywhere());
    }
}
