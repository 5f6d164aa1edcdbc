package dev.podswitch.dataplane;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.udp;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness itself must not hide anything a stage did: it parses for real, counts every run and copies what it captures. */
class StageHarnessTest
{
    private final StageHarness harness = StageFixture.harness();

    @Test
    void shouldParseWithTheRealParserWhenBuildingAFrame()
    {
        final Frame frame = harness.frame(POD_A.portId(), udp(POD_A, POD_B.ip(), 40000, 53));
        assertEquals(POD_A.ip(), frame.meta().ipSource);
        assertEquals(POD_B.ip(), frame.meta().ipDestination);
        assertEquals(53, frame.meta().destinationPort);
        assertEquals(POD_A.portId(), frame.inPortId());
        final Frame tunnelled = harness.fromTunnel(NODE_2.vtepIp(), udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 1, 2));
        assertEquals(NodeDatapath.TUNNEL_PORT_ID, tunnelled.inPortId());
        assertEquals(NODE_2.vtepIp(), tunnelled.tunnelSourceIp());
    }

    @Test
    void shouldRefuseToBuildAFrameWhenTheParserWouldDropItBeforeAnyStage()
    {
        final byte[] bytes = udp(POD_A, POD_B.ip(), 40000, 53);
        bytes[TestFrames.ETH + 10] ^= 0x5A;
        final AssertionError refused = assertThrows(AssertionError.class, () -> harness.frame(POD_A.portId(), bytes));
        assertTrue(refused.getMessage().contains(DropReason.BAD_IP_CHECKSUM.name()), refused.getMessage());
    }

    @Test
    void shouldCountEachRunAsPassedOrAsItsDropReason()
    {
        final Frame frame = harness.frame(POD_A.portId(), udp(POD_A, POD_B.ip(), 40000, 53));
        harness.run((f, node) -> null, frame);
        harness.run((f, node) -> DropReason.NO_ROUTE, frame);
        harness.run((f, node) -> DropReason.NO_ROUTE, frame);
        assertEquals(3, harness.counters().receivedCount());
        assertEquals(1, harness.passedCount());
        assertEquals(2, harness.counters().droppedCount(DropReason.NO_ROUTE));
        assertTrue(harness.isBalanced());
    }

    @Test
    void shouldKeepACopyOfWhatAPortWasSentWhenTheSenderReusesItsMemory()
    {
        final byte[] bytes = udp(POD_A, POD_B.ip(), 40000, 53);
        final MemorySegment slot = TestFrames.nativeCopy(bytes);
        assertTrue(harness.port(POD_B.portId()).transmit(slot, 0, bytes.length));
        slot.fill((byte)0);
        assertEquals(toHex(bytes), toHex(harness.receivedBy(POD_B.portId()).getFirst()));
        assertEquals(1, harness.sentAnywhere());
        harness.port(POD_B.portId()).close();
        assertFalse(harness.port(POD_B.portId()).transmit(slot, 0, bytes.length), "a closed port refuses");
    }

    @Test
    void shouldRecordTheInnerFrameWhenTheTunnelSends()
    {
        final byte[] inner = udp(POD_A, REMOTE_POD, 40000, 53);
        assertTrue(harness.tunnel().send(MemorySegment.ofArray(inner), 0, inner.length, NODE_2.vtepIp(), 7));
        final StageHarness.Tunnelled sent = harness.tunnelled().getFirst();
        assertEquals(NODE_2.vtepIp(), sent.remoteVtepIp());
        assertEquals(toHex(inner), toHex(sent.inner()));
        harness.refuseTunnelSends();
        assertFalse(harness.tunnel().send(MemorySegment.ofArray(inner), 0, inner.length, NODE_2.vtepIp(), 7));
        assertEquals(1, harness.tunnelled().size());
    }
}
