package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.forward.Router;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.MalformedFrames;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static dev.podswitch.dataplane.packet.TestFrames.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node A's tunnel port encapsulates what its router sends to node B's pod CIDR; a wrapper around
 * {@link MemoryUnderlay} keeps a copy of every outer frame so its bytes can be checked, and node
 * B's tunnel port decapsulates into B's ring.
 */
class TunnelPortTest
{
    private static final int VNI = 0x00AB_CDEF;
    private static final int VTEP_A = ip(127, 1, 0, 1);
    private static final int VTEP_B = ip(127, 1, 0, 2);
    private static final long GATEWAY_A = 0x0A58_0AF4_0001L;
    private static final long GATEWAY_B = 0x0A58_0AF4_0101L;
    private static final MalformedFrames.Addresses POD_A_TO_B = new MalformedFrames.Addresses(0x0A58_0AF4_0002L,
        GATEWAY_A, ip(10, 244, 0, 2), ip(10, 244, 1, 2));

    /** Keeps a copy of each outer frame, then hands it to the real in-memory underlay. */
    private static final class CapturingUnderlay implements VxlanUnderlay
    {
        final MemoryUnderlay delegate = new MemoryUnderlay();
        final List<byte[]> outerFrames = new ArrayList<>();
        final List<Integer> sourcePorts = new ArrayList<>();

        @Override
        public void bind(final int localVtepIp, final VxlanReceiver receiver)
        {
            delegate.bind(localVtepIp, receiver);
        }

        @Override
        public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort, final MemorySegment outer,
            final long offset, final int length)
        {
            outerFrames.add(TestFrames.toBytes(outer, offset, length));
            sourcePorts.add(sourcePort);
            return delegate.send(localVtepIp, remoteVtepIp, sourcePort, outer, offset, length);
        }

        @Override
        public void flush(final int localVtepIp)
        {
        }

        @Override
        public long sentCount()
        {
            return delegate.sentCount();
        }

        @Override
        public long deliveredCount()
        {
            return delegate.deliveredCount();
        }

        @Override
        public void close()
        {
        }
    }

    private final CapturingUnderlay underlay = new CapturingUnderlay();
    private final DatapathCounters countersA = new DatapathCounters();
    private final DatapathCounters countersB = new DatapathCounters();
    private final FrameRing ringA = new FrameRing(64, Frame.EMULATED_CAPACITY, countersA);
    private final FrameRing ringB = new FrameRing(4096, Frame.EMULATED_CAPACITY, countersB);
    private final ForwardingTable tableA = table(GATEWAY_A, ip(10, 244, 0, 1), ip(10, 244, 1, 0), VTEP_B, GATEWAY_B);
    private final ForwardingTable tableB = table(GATEWAY_B, ip(10, 244, 1, 1), ip(10, 244, 0, 0), VTEP_A, GATEWAY_A);
    private final TunnelPort tunnelA = new TunnelPort(0, VTEP_A, VNI, Frame.EMULATED_CAPACITY, underlay, ringA, countersA,
        vtep -> tableA.remoteByVtep(vtep) != null);
    private final TunnelPort tunnelB = new TunnelPort(0, VTEP_B, VNI, Frame.EMULATED_CAPACITY, underlay, ringB, countersB,
        vtep -> tableB.remoteByVtep(vtep) != null);
    private final FrameParser parser = new FrameParser();
    private final Router router = new Router();

    private static ForwardingTable table(final long gatewayMac, final int gatewayIp, final int remoteSubnet,
        final int remoteVtep, final long remoteGatewayMac)
    {
        final LocalEndpoint pod = new LocalEndpoint(1, gatewayMac + 1, gatewayIp + 1, LocalEndpoint.Kind.POD, "pod");
        return new ForwardingTable(1, gatewayIp, gatewayMac, 24, ip(10, 244, 0, 0), 16, 0, VNI, List.of(pod),
            List.of(new ForwardingTable.RemoteRoute(remoteSubnet, new ForwardingTable.RemoteNode("peer", remoteVtep,
                remoteGatewayMac))), List.of());
    }

    /** Parses and routes one frame from a pod of A, as A's pipeline would; returns the router's verdict. */
    private DropReason routeFromA(final byte[] inner)
    {
        final MemorySegment frame = TestFrames.nativeCopy(inner);
        final PacketMeta meta = new PacketMeta();
        assertNull(parser.parse(frame, 0, inner.length, meta));
        return router.route(frame, inner.length, meta, false, tableA, new Port[2], tunnelA);
    }

    private List<byte[]> drainB()
    {
        final List<byte[]> frames = new ArrayList<>();
        try
        {
            ringB.drain((frame, sequence, endOfBatch) ->
            {
                assertEquals(tunnelB.id(), frame.inPortId());
                frames.add(TestFrames.toBytes(frame.segment(), 0, frame.length()));
                return true;
            });
        }
        catch (final Exception e)
        {
            throw new AssertionError(e);
        }
        return frames;
    }

    @Test
    void shouldBuildOuterFrameAsRfc7348WhenRouterSendsToRemoteNode()
    {
        for (final MalformedFrames.Case valid : MalformedFrames.validFrames(POD_A_TO_B))
        {
            if (valid.name().equals("arp-request"))
            {
                continue;
            }
            underlay.outerFrames.clear();
            final byte[] inner = valid.frame();
            assertNull(routeFromA(inner), valid.name());
            assertEquals(1, underlay.outerFrames.size());
            final byte[] outer = underlay.outerFrames.getFirst();
            final String what = valid.name() + ": " + toHex(outer);
            assertEquals(TunnelPort.OUTER_UDP_PAYLOAD_OFFSET + 8 + inner.length, outer.length, what);
            // Outer Ethernet and IPv4
            assertEquals(0x0800, u16(outer, 12), what);
            final int ip = ETH;
            assertEquals(0x45, outer[ip] & 0xFF, what);
            assertEquals(outer.length - ETH, u16(outer, ip + 2), what);
            assertEquals(0, u16(outer, ip + 6) & 0x3FFF, "outer packet is not a fragment");
            assertTrue((outer[ip + 8] & 0xFF) > 1, "outer TTL");
            assertEquals(17, outer[ip + 9] & 0xFF, what);
            assertEquals(0xFFFF, TestFrames.naiveSum(outer, ip, 20, 0), "outer IPv4 checksum valid: " + what);
            assertEquals(VTEP_A, java.nio.ByteBuffer.wrap(outer).getInt(ip + 12), what);
            assertEquals(VTEP_B, java.nio.ByteBuffer.wrap(outer).getInt(ip + 16), what);
            // Outer UDP
            final int udp = ip + 20;
            final int sourcePort = u16(outer, udp);
            assertTrue(sourcePort >= 49152 && sourcePort <= 65535, "source port " + sourcePort);
            assertEquals(sourcePort, underlay.sourcePorts.getLast());
            assertEquals(4789, u16(outer, udp + 2), what);
            assertEquals(outer.length - udp, u16(outer, udp + 4), what);
            assertEquals(0, u16(outer, udp + 6), "RFC 7348: zero UDP checksum over IPv4");
            // VXLAN: I flag, reserved zero, VNI, reserved zero
            final int vxlan = udp + 8;
            assertEquals("08000000" + String.format("%06x", VNI) + "00", toHex(java.util.Arrays.copyOfRange(outer, vxlan,
                vxlan + 8)), what);
            // Inner frame: byte for byte but MACs, TTL and (so) the IP header checksum.
            final byte[] carried = java.util.Arrays.copyOfRange(outer, vxlan + 8, outer.length);
            final byte[] expected = inner.clone();
            expected[ETH + 8]--;
            java.nio.ByteBuffer.wrap(expected).putShort(0, (short)(GATEWAY_B >>> 32)).putInt(2, (int)GATEWAY_B)
                .putShort(6, (short)(GATEWAY_A >>> 32)).putInt(8, (int)GATEWAY_A);
            TestFrames.fixIpChecksum(expected);
            assertEquals(toHex(expected), toHex(carried), valid.name());
            // Decapsulated at B, the very same inner frame lands in B's ring.
            final List<byte[]> atB = drainB();
            assertEquals(1, atB.size(), valid.name());
            assertArrayEquals(carried, atB.getFirst(), valid.name());
        }
        assertEquals(0, countersB.droppedTotal());
    }

    @Test
    void shouldKeepSourcePortStableForOneFlowAndSpreadItAcrossFlows()
    {
        final int flows = 1000;
        final Set<Integer> ports = new HashSet<>();
        for (int flow = 0; flow < flows; flow++)
        {
            final MalformedFrames.Addresses from = new MalformedFrames.Addresses(POD_A_TO_B.sourceMac(), GATEWAY_A,
                POD_A_TO_B.sourceIp() + flow % 3, POD_A_TO_B.destinationIp());
            Integer first = null;
            for (int packet = 0; packet < 3; packet++)
            {
                final byte[] payload = new byte[packet * 7];
                final byte[] inner = MalformedFrames.ipv4Frame(from, 6,
                    TestFrames.tcp(from.sourceIp(), from.destinationIp(), 32768 + flow, 443, 0x18, payload));
                assertNull(routeFromA(inner));
                final int port = underlay.sourcePorts.getLast();
                assertTrue(port >= 49152 && port <= 65535, "source port " + port);
                if (first == null)
                {
                    first = port;
                }
                assertEquals(first, port, "one flow keeps its source port, flow " + flow);
            }
            ports.add(first);
        }
        drainB();
        // 1000 flows into 16384 ports: a uniform spread collides about 30 times.
        assertTrue(ports.size() > 900, "distinct source ports for " + flows + " flows: " + ports.size());

        final Set<Integer> echoPorts = new HashSet<>();
        for (int identifier = 0; identifier < 200; identifier++)
        {
            assertNull(routeFromA(MalformedFrames.ipv4Frame(POD_A_TO_B, 1, TestFrames.icmpEcho(8, identifier, 1, new byte[8]))));
            echoPorts.add(underlay.sourcePorts.getLast());
        }
        assertTrue(echoPorts.size() > 180, "ping flows (by identifier) spread too: " + echoPorts.size());
    }

    @Test
    void shouldDropAsBadTunnelFrameWhenVniFlagVtepOrLengthIsWrong()
    {
        final byte[] inner = MalformedFrames.validFrames(POD_A_TO_B).get(1).frame();
        record Bad(String name, int vtep, byte[] payload)
        {
        }
        final List<Bad> bad = List.of(
            new Bad("wrong VNI", VTEP_A, vxlan(0x08, VNI + 1, inner)),
            new Bad("I flag clear", VTEP_A, vxlan(0x00, VNI, inner)),
            new Bad("unknown VTEP", ip(127, 9, 9, 9), vxlan(0x08, VNI, inner)),
            new Bad("shorter than VXLAN + Ethernet", VTEP_A, java.util.Arrays.copyOf(vxlan(0x08, VNI, inner), 21)),
            new Bad("empty", VTEP_A, new byte[0]));
        long expectedDrops = 0;
        for (final Bad b : bad)
        {
            tunnelB.onVxlanPayload(b.vtep(), MemorySegment.ofArray(b.payload()), 0, b.payload().length);
            expectedDrops++;
            assertEquals(expectedDrops, countersB.droppedCount(DropReason.BAD_TUNNEL_FRAME), b.name());
            assertEquals(expectedDrops, countersB.receivedCount(), b.name());
            assertTrue(countersB.isBalanced(), b.name());
            assertTrue(ringB.isEmpty(), b.name());
        }
        final byte[] good = vxlan(0x08, VNI, inner);
        tunnelB.onVxlanPayload(VTEP_A, MemorySegment.ofArray(good), 0, good.length);
        assertArrayEquals(inner, drainB().getFirst(), "the right VNI from a known VTEP is taken");
    }

    /**
     * A peer (or anything that can send UDP to port 4789) may send an inner frame larger than a
     * ring slot. It must be dropped and counted, and the ring must keep delivering what follows.
     */
    @Test
    void shouldDropInnerFrameLargerThanRingSlotAndKeepDeliveringWhenPeerSendsJumbo()
    {
        final int dataLength = Frame.EMULATED_CAPACITY - 14 - 20 - 8 + 100;
        final byte[] jumbo = MalformedFrames.ipv4Frame(POD_A_TO_B, 1, TestFrames.icmpEcho(8, 1, 1, new byte[dataLength]));
        final byte[] jumboPayload = vxlan(0x08, VNI, jumbo);
        RuntimeException thrown = null;
        try
        {
            tunnelB.onVxlanPayload(VTEP_A, MemorySegment.ofArray(jumboPayload), 0, jumboPayload.length);
        }
        catch (final RuntimeException e)
        {
            thrown = e;
        }
        final byte[] inner = MalformedFrames.validFrames(POD_A_TO_B).get(1).frame();
        final byte[] good = vxlan(0x08, VNI, inner);
        tunnelB.onVxlanPayload(VTEP_A, MemorySegment.ofArray(good), 0, good.length);
        final List<byte[]> delivered = drainB();
        assertNull(thrown, "an oversize inner frame must be a counted drop, not an exception");
        assertEquals(1, delivered.size(), "the frame after the jumbo must still reach the pipeline");
        assertArrayEquals(inner, delivered.getFirst());
        assertEquals(1, countersB.droppedCount(DropReason.FRAME_TOO_LONG), countersB.drops().toString());
        assertEquals(1, countersB.droppedTotal(), countersB.drops().toString());
        // Drained here without the pipeline, so only the dropped jumbo has been counted as received.
        assertEquals(1, countersB.receivedCount());
    }

    @Test
    void shouldRefuseWhenInnerFrameDoesNotFitScratch()
    {
        final MemorySegment huge = MemorySegment.ofArray(new byte[Frame.EMULATED_CAPACITY + 1]);
        assertFalse(tunnelA.send(huge, 0, Frame.EMULATED_CAPACITY + 1, VTEP_B, 7));
        assertEquals(0, underlay.outerFrames.size());
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
