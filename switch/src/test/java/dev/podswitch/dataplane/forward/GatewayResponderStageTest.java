package dev.podswitch.dataplane.forward;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.StageFixture;
import dev.podswitch.dataplane.StageHarness;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static dev.podswitch.dataplane.StageFixture.GATEWAY_IP;
import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.NOBODY_OUTSIDE;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.arp;
import static dev.podswitch.dataplane.StageFixture.echoRequest;
import static dev.podswitch.dataplane.StageFixture.icmpError;
import static dev.podswitch.dataplane.StageFixture.ipv4;
import static dev.podswitch.dataplane.StageFixture.tcp;
import static dev.podswitch.dataplane.StageFixture.udp;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway stage alone: the switch answers ARP for every address but the asker's own (proxy
 * ARP) and echo requests to the gateway IP, by rewriting the request in place; whatever it does
 * not answer it leaves byte for byte as it was. Expected replies are built independently with
 * {@link TestFrames} and its naive checksums, not with the flyweights that wrote them.
 */
class GatewayResponderStageTest
{
    private final GatewayResponder gateway = new GatewayResponder();
    /** As {@code NodeDatapath.process} calls them: ARP frames, and IPv4 frames to the gateway IP. */
    private final StageHarness.Stage answerArp =
        (frame, node) -> gateway.answerArp(frame.segment(), frame.meta(), node.table());
    private final StageHarness.Stage answerPing =
        (frame, node) -> gateway.answerPing(frame.segment(), frame.meta(), node.table());

    private final StageHarness harness = StageFixture.harness();

    @AfterEach
    void everyFrameEndsInOneCounter()
    {
        assertTrue(harness.isBalanced(), harness.counters().drops().toString());
        assertEquals(0, harness.sentAnywhere(), "the responder rewrites in place; the pipeline transmits");
    }

    /** The ARP reply of the first {@code length} bytes of the frame (what the pipeline transmits). */
    private static byte[] answer(final Frame frame)
    {
        return Arrays.copyOf(StageHarness.bytes(frame), GatewayResponder.arpReplyLength(frame.length()));
    }

    static Stream<Arguments> arpTargets()
    {
        return Stream.of(Arguments.of("the gateway", GATEWAY_IP), Arguments.of("a pod of this node", POD_B.ip()),
            Arguments.of("a pod of another node", REMOTE_POD), Arguments.of("a host behind the uplink", HOST.ip()),
            Arguments.of("an address outside the cluster", NOBODY_OUTSIDE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arpTargets")
    void shouldReplyWithTheGatewayMacWhenPodAsksForAnyOtherAddress(final String name, final int target)
    {
        final Frame frame = harness.frame(POD_A.portId(), arp(1, POD_A.mac(), POD_A.ip(), target));
        assertNull(harness.run(answerArp, frame));
        final byte[] expected = TestFrames.pad(TestFrames.ethernet(POD_A.mac(), GATEWAY_MAC, 0x0806,
            TestFrames.arp(2, GATEWAY_MAC, target, POD_A.mac(), POD_A.ip())));
        assertEquals(toHex(expected), toHex(answer(frame)));
        assertEquals(1, harness.passedCount());
    }

    @Test
    void shouldReplyToTheAskerWhenAHostBehindTheUplinkAsks()
    {
        final Frame frame = harness.frame(HOST.portId(), arp(1, HOST.mac(), HOST.ip(), POD_B.ip()));
        assertNull(harness.run(answerArp, frame));
        final byte[] expected = TestFrames.pad(TestFrames.ethernet(HOST.mac(), GATEWAY_MAC, 0x0806,
            TestFrames.arp(2, GATEWAY_MAC, POD_B.ip(), HOST.mac(), HOST.ip())));
        assertEquals(toHex(expected), toHex(answer(frame)));
    }

    @Test
    void shouldWriteTheReplyWithinTheRequestsBytesWhenRequestIsUnpadded()
    {
        final byte[] request = TestFrames.ethernet(0xFFFF_FFFF_FFFFL, POD_A.mac(), 0x0806,
            TestFrames.arp(1, POD_A.mac(), POD_A.ip(), 0, GATEWAY_IP));
        assertEquals(42, request.length);
        final Frame frame = harness.frame(POD_A.portId(), request);
        assertNull(harness.run(answerArp, frame));
        assertEquals(42, GatewayResponder.arpReplyLength(frame.length()));
        assertEquals(toHex(TestFrames.ethernet(POD_A.mac(), GATEWAY_MAC, 0x0806,
            TestFrames.arp(2, GATEWAY_MAC, GATEWAY_IP, POD_A.mac(), POD_A.ip()))), toHex(answer(frame)));
    }

    static Stream<Arguments> arpNeedingNoAnswer()
    {
        return Stream.of(
            Arguments.of("reply", arp(2, POD_A.mac(), POD_A.ip(), GATEWAY_IP)),
            Arguments.of("gratuitous (asks for its own address)", arp(1, POD_A.mac(), POD_A.ip(), POD_A.ip())),
            Arguments.of("duplicate-address probe (sender 0.0.0.0)", arp(1, POD_A.mac(), 0, GATEWAY_IP)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arpNeedingNoAnswer")
    void shouldLeaveArpUntouchedAsNotForUsWhenNoAnswerIsDue(final String name, final byte[] bytes)
    {
        final Frame frame = harness.frame(POD_A.portId(), bytes);
        assertEquals(DropReason.NOT_FOR_US, harness.run(answerArp, frame));
        assertEquals(toHex(bytes), toHex(StageHarness.bytes(frame)));
        assertEquals(1, harness.counters().droppedCount(DropReason.NOT_FOR_US));
    }

    @ParameterizedTest(name = "{0} data bytes")
    @ValueSource(ints = {0, 23, 56, 1400})
    void shouldTurnEchoRequestToGatewayIntoReplyWhenPodPings(final int dataLength)
    {
        final byte[] data = new byte[dataLength];
        for (int i = 0; i < dataLength; i++)
        {
            data[i] = (byte)(0xA0 + i * 7);
        }
        final Frame frame = harness.frame(POD_A.portId(),
            echoRequest(POD_A.mac(), POD_A.ip(), GATEWAY_IP, 0x4242, 9, data));
        assertNull(harness.run(answerPing, frame));
        // Addresses swapped, type 0, same identifier, sequence and data, both checksums correct.
        final byte[] expected = ipv4(GATEWAY_MAC, POD_A.mac(), GATEWAY_IP, POD_A.ip(), 64, 1,
            TestFrames.icmpEcho(0, 0x4242, 9, data));
        assertEquals(toHex(expected), toHex(StageHarness.bytes(frame)));
        assertEquals(1, harness.passedCount());
    }

    static Stream<Arguments> toGatewayButNoEchoRequest()
    {
        final byte[] syn = tcp(POD_A.mac(), POD_A.ip(), GATEWAY_IP, 40000, 22, 0x02);
        return Stream.of(
            Arguments.of("tcp", syn),
            Arguments.of("udp", udp(POD_A, GATEWAY_IP, 40000, 53)),
            Arguments.of("echo reply", ipv4(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), GATEWAY_IP, 64, 1,
                TestFrames.icmpEcho(0, 1, 1, new byte[8]))),
            Arguments.of("icmp error", icmpError(POD_A.mac(), POD_A.ip(), GATEWAY_IP, 3, 3, syn)),
            Arguments.of("other protocol", ipv4(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), GATEWAY_IP, 64, 47,
                new byte[12])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("toGatewayButNoEchoRequest")
    void shouldLeaveFrameUntouchedAsNotForUsWhenItIsNoEchoRequest(final String name, final byte[] bytes)
    {
        final Frame frame = harness.frame(POD_A.portId(), bytes);
        assertEquals(DropReason.NOT_FOR_US, harness.run(answerPing, frame));
        assertEquals(toHex(bytes), toHex(StageHarness.bytes(frame)));
        assertEquals(1, harness.counters().droppedCount(DropReason.NOT_FOR_US));
    }

    @Test
    void shouldAnswerWithTheMacOfTheCurrentTableWhenGatewayMacChanges()
    {
        final long newGatewayMac = 0x0A58_0AF4_00FFL;
        harness.publish(new ForwardingTable(2, GATEWAY_IP, newGatewayMac, 24, 0x0AF4_0000, 16, 0,
            StageFixture.VNI, List.of(POD_A), List.of(), List.of()));
        final Frame frame = harness.frame(POD_A.portId(), arp(1, POD_A.mac(), POD_A.ip(), GATEWAY_IP));
        assertNull(harness.run(answerArp, frame));
        assertEquals(toHex(TestFrames.pad(TestFrames.ethernet(POD_A.mac(), newGatewayMac, 0x0806,
            TestFrames.arp(2, newGatewayMac, GATEWAY_IP, POD_A.mac(), POD_A.ip())))), toHex(answer(frame)));
    }
}
