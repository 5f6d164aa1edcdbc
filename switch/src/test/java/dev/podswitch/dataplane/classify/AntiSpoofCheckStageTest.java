package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.StageFixture;
import dev.podswitch.dataplane.StageHarness;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.GATEWAY_IP;
import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.arp;
import static dev.podswitch.dataplane.StageFixture.echoRequest;
import static dev.podswitch.dataplane.StageFixture.tcp;
import static dev.podswitch.dataplane.StageFixture.udp;
import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The anti-spoof stage alone: a frame from a local port passes only with the MAC and IP (or ARP
 * sender) of the endpoint the forwarding table binds to that port. Pods and hosts behind an uplink
 * are held to the same rule. (Tunnel frames never reach this stage; the pipeline checks their inner
 * source against the sending VTEP instead — see {@code NodeDatapathBetweenStagesTest}.)
 */
class AntiSpoofCheckStageTest
{
    /** As {@code NodeDatapath.process} calls it: against the endpoint bound to the frame's port. */
    private static final StageHarness.Stage ANTI_SPOOF =
        (frame, node) -> AntiSpoofCheck.check(frame.meta(), node.table().localByPortId(frame.inPortId()));

    private static final long STRANGER_MAC = 0x0200_DEAD_BEEFL;
    private static final int STRANGER_IP = ip(10, 244, 0, 99);

    private final StageHarness harness = StageFixture.harness();

    @AfterEach
    void everyFrameEndsInOneCounter()
    {
        assertTrue(harness.isBalanced(), harness.counters().drops().toString());
        assertEquals(0, harness.sentAnywhere(), "anti-spoof never sends anything");
    }

    private DropReason check(final LocalEndpoint port, final byte[] bytes)
    {
        final Frame frame = harness.frame(port.portId(), bytes);
        final DropReason verdict = harness.run(ANTI_SPOOF, frame);
        assertEquals(toHex(bytes), toHex(StageHarness.bytes(frame)), "the check only reads the frame");
        return verdict;
    }

    static Stream<Arguments> ownIdentity()
    {
        return Stream.of(
            Arguments.of("pod udp", POD_A, udp(POD_A, POD_B.ip(), 40000, 53)),
            Arguments.of("pod tcp", POD_A, tcp(POD_A.mac(), POD_A.ip(), REMOTE_POD, 40000, 80, 0x02)),
            Arguments.of("pod ping to gateway", POD_A, echoRequest(POD_A.mac(), POD_A.ip(), GATEWAY_IP, 7, 1,
                new byte[8])),
            Arguments.of("pod arp request", POD_A, arp(1, POD_A.mac(), POD_A.ip(), GATEWAY_IP)),
            Arguments.of("pod arp probe (RFC 5227, sender 0.0.0.0)", POD_A, arp(1, POD_A.mac(), 0, POD_A.ip())),
            Arguments.of("pod gratuitous arp", POD_A, arp(1, POD_A.mac(), POD_A.ip(), POD_A.ip())),
            Arguments.of("host on uplink", HOST, udp(HOST, POD_A.ip(), 5000, 53)),
            Arguments.of("host arp", HOST, arp(1, HOST.mac(), HOST.ip(), GATEWAY_IP)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ownIdentity")
    void shouldPassFrameWhenSenderUsesItsOwnMacAndIp(final String name, final LocalEndpoint port, final byte[] bytes)
    {
        assertNull(check(port, bytes));
        assertEquals(1, harness.passedCount());
        assertEquals(0, harness.counters().droppedTotal());
    }

    static Stream<Arguments> spoofs()
    {
        return Stream.of(
            Arguments.of("another pod's MAC, own IP", POD_A, udp(POD_B.mac(), POD_A.ip(), POD_B.ip(), 1, 2)),
            Arguments.of("the gateway's MAC, own IP", POD_A, udp(GATEWAY_MAC, POD_A.ip(), POD_B.ip(), 1, 2)),
            Arguments.of("own MAC, another local pod's IP", POD_A, udp(POD_A.mac(), POD_B.ip(), REMOTE_POD, 1, 2)),
            Arguments.of("own MAC, a remote pod's IP", POD_A, tcp(POD_A.mac(), REMOTE_POD, POD_B.ip(), 1, 80, 0x02)),
            Arguments.of("own MAC, an unused IP of the node's CIDR", POD_A,
                udp(POD_A.mac(), STRANGER_IP, POD_B.ip(), 1, 2)),
            Arguments.of("own MAC, the gateway's IP", POD_A, udp(POD_A.mac(), GATEWAY_IP, POD_B.ip(), 1, 2)),
            Arguments.of("pod sending as the host", POD_A, udp(HOST.mac(), HOST.ip(), POD_B.ip(), 1, 2)),
            Arguments.of("host sending as a pod", HOST, udp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 1, 2)),
            Arguments.of("host with another address of its subnet", HOST,
                udp(HOST.mac(), HOST.ip() + 1, POD_A.ip(), 1, 2)),
            Arguments.of("arp claiming another pod's IP", POD_A, arp(2, POD_A.mac(), POD_B.ip(), GATEWAY_IP)),
            Arguments.of("arp claiming the gateway's IP", POD_A, arp(1, POD_A.mac(), GATEWAY_IP, POD_B.ip())),
            Arguments.of("arp from a foreign Ethernet source", POD_A, arp(1, STRANGER_MAC, POD_A.ip(), GATEWAY_IP)),
            Arguments.of("arp whose sender MAC is not the Ethernet source", POD_A,
                arpWithSenderMac(POD_A.mac(), STRANGER_MAC, POD_A.ip(), GATEWAY_IP)),
            Arguments.of("arp probe from a foreign MAC", POD_A,
                arpWithSenderMac(POD_A.mac(), STRANGER_MAC, 0, POD_A.ip())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("spoofs")
    void shouldDropAsSpoofedSourceWhenSenderClaimsAnIdentityNotItsOwn(final String name, final LocalEndpoint port,
        final byte[] bytes)
    {
        assertEquals(DropReason.SPOOFED_SOURCE, check(port, bytes));
        assertEquals(1, harness.counters().droppedCount(DropReason.SPOOFED_SOURCE));
        assertEquals(0, harness.passedCount());
    }

    @Test
    void shouldJudgeEachFrameByThePortItCameInOnWhenTwoPodsSendTheSameBytes()
    {
        final byte[] fromA = udp(POD_A, POD_B.ip(), 40000, 53);
        assertNull(check(POD_A, fromA));
        assertEquals(DropReason.SPOOFED_SOURCE, check(POD_B, fromA), "A's frame arriving on B's port");
        assertEquals(1, harness.passedCount());
        assertEquals(1, harness.counters().droppedCount(DropReason.SPOOFED_SOURCE));
    }

    @Test
    void shouldFollowTheTableWhenAPortIsReboundToAnotherEndpoint()
    {
        final byte[] fromA = udp(POD_A, POD_B.ip(), 40000, 53);
        assertNull(check(POD_A, fromA));
        // Pod A deleted, its port id reused by a new pod with another MAC and IP.
        final LocalEndpoint successor = new LocalEndpoint(POD_A.portId(), 0x0A58_0AF4_0042L, ip(10, 244, 0, 42),
            LocalEndpoint.Kind.POD, "default/successor");
        harness.publish(StageFixture.table(2, List.of(successor, POD_B, HOST)));
        assertEquals(DropReason.SPOOFED_SOURCE, check(POD_A, fromA), "the old pod's identity is gone with it");
        assertNull(check(successor, udp(successor, POD_B.ip(), 40000, 53)));
    }

    /** An ARP request whose Ethernet source and ARP sender hardware address differ. */
    private static byte[] arpWithSenderMac(final long ethernetSource, final long arpSender, final int senderIp,
        final int targetIp)
    {
        return TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, ethernetSource, 0x0806,
            TestFrames.arp(1, arpSender, senderIp, 0, targetIp)));
    }
}
