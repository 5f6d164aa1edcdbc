package dev.podswitch.dataplane;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.classify.PortRulesBuilder;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.offload.SoftwareOffload;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.dataplane.port.tap.ScriptedTapPort;
import dev.podswitch.dataplane.port.tunnel.VxlanOuterHeaders;
import dev.podswitch.dataplane.port.tunnel.VxlanReceiver;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.util.IntHashMap;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.LOCAL_VTEP;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.NODE_3;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.VNI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes one whole node — {@link NodeDatapath} on {@link StageFixture}'s table — with whatever its
 * receive sides may be handed: reads of two TAPs (virtio-net header first, one opened with
 * offloads, one without), frames from memory ports (a host and a port without an endpoint), VXLAN
 * payloads from two peer VTEPs and a stranger, and UDP GRO trains (decapsulation, then the
 * {@code TcpCoalescer}); between them the control plane may publish a new forwarding table or
 * policy. Properties, checked after every record (each ends with the node idle):
 * <ul>
 *   <li>every frame ends in one counter ({@code DatapathCounters.isBalanced()});</li>
 *   <li>nothing reaches the pipeline's catch-all ({@code INTERNAL_ERROR}, the distinct-error log);</li>
 *   <li>a frame from the tunnel never goes back into it;</li>
 *   <li>the switch never emits a frame it would itself refuse: everything a port, a TAP or the
 *       tunnel was given parses (super-frames after software segmentation).</li>
 * </ul>
 *
 * <p>Input: records {@code source:u8, length:u16 (big-endian), bytes[length]}; the last record
 * takes what is left. {@code source} modulo the number of {@link Source}s picks the sender (append
 * new sources at the end: the seeds in {@code NodeDatapathFuzzTestInputs/} name them by ordinal).
 */
class NodeDatapathFuzzTest
{
    /** Who hands the record's bytes to the node. */
    enum Source
    {
        /** Pod A's TAP, opened with offloads: virtio-net header + frame. */
        TAP_A(false),
        /** Pod B's TAP, opened without offloads: virtio-net header + frame. */
        TAP_B(false),
        /** The host's memory port: a frame. */
        HOST(false),
        /** A memory port with no endpoint in the table: a frame. */
        UNBOUND(false),
        /** UDP payload (VXLAN header + inner frame) from node-2's VTEP. */
        TUNNEL_NODE_2(true),
        /** UDP payload from node-3's VTEP. */
        TUNNEL_NODE_3(true),
        /** UDP payload from a VTEP that is no peer. */
        TUNNEL_STRANGER(true),
        /** A UDP GRO train from node-2: segment size (u16), then the payloads back to back. */
        TRAIN_NODE_2(true),
        /** The control plane publishes a new table generation; the first byte picks where pod B is. */
        PUBLISH_TABLE(false),
        /** The control plane publishes a new policy generation; the first byte picks which. */
        PUBLISH_POLICY(false);

        final boolean fromTunnel;

        Source(final boolean fromTunnel)
        {
            this.fromTunnel = fromTunnel;
        }
    }

    private static final Source[] SOURCES = Source.values();
    private static final int RING_SIZE = 16;
    /**
     * Jumbo-sized slots rather than a live node's 64 KiB ones: fuzz inputs are at most a few KiB, so
     * super-frames (TSO from a TAP, coalesced trains) fit, and a node per input stays cheap.
     */
    private static final int FRAME_CAPACITY = Frame.DEFAULT_CAPACITY;
    private static final int STRANGER_VTEP = TestFrames.ip(192, 168, 50, 99);

    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();
    private final SoftwareOffload software = new SoftwareOffload(Frame.OFFLOAD_CAPACITY);

    @FuzzTest
    void shouldAccountForEveryFrameWhenTapsPortsAndTheTunnelDeliverAnything(final byte[] input)
    {
        final Node node = new Node();
        try
        {
            int at = 0;
            while (at < input.length)
            {
                final Source source = SOURCES[(input[at] & 0xFF) % SOURCES.length];
                final int declared = at + 2 < input.length ? (input[at + 1] & 0xFF) << 8 | input[at + 2] & 0xFF : 0;
                final int from = Math.min(input.length, at + 3);
                final int to = Math.min(input.length, from + declared);
                node.deliver(source, Arrays.copyOfRange(input, from, to));
                at = to;
            }
        }
        finally
        {
            node.datapath.close();
        }
    }

    /** Encodes one record of the input format (for seeds and regression tests). */
    static byte[] record(final Source source, final byte[] bytes)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(source.ordinal());
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    /** The node under test, its ports and what left through each, fresh per input. */
    private final class Node
    {
        final TrainRecordingUnderlay underlay = new TrainRecordingUnderlay();
        final DistinctErrorLog errors = new DistinctErrorLog();
        final NodeDatapath datapath = new NodeDatapath("node-1", RING_SIZE, FRAME_CAPACITY, LOCAL_VTEP, VNI,
            underlay, StageFixture.table(1), errors);
        final ScriptedTapPort tapA = new ScriptedTapPort(datapath.allocatePortId(), true);
        final ScriptedTapPort tapB = new ScriptedTapPort(datapath.allocatePortId(), false);
        final List<byte[]> toHost = new ArrayList<>();
        final int hostPort;
        final int unboundPort;
        long tableGeneration = 1;
        long policyGeneration;

        Node()
        {
            assertEquals(POD_A.portId(), tapA.id());
            assertEquals(POD_B.portId(), tapB.id());
            for (final ScriptedTapPort tap : List.of(tapA, tapB))
            {
                datapath.addPort(tap);
                datapath.addReceiveSource(tap);
            }
            hostPort = datapath.addMemoryPort("h", (frame, offset, length) ->
                toHost.add(TestFrames.toBytes(frame, offset, length))).id();
            unboundPort = datapath.addMemoryPort("unbound", (frame, offset, length) ->
                toHost.add(TestFrames.toBytes(frame, offset, length))).id();
            assertEquals(HOST.portId(), hostPort);
            assertEquals(StageFixture.UNBOUND_PORT, unboundPort);
        }

        void deliver(final Source source, final byte[] bytes)
        {
            final int tunnelledBefore = underlay.sent.size();
            final MemorySegment segment = MemorySegment.ofArray(bytes);
            switch (source)
            {
                case TAP_A ->
                {
                    tapA.read(bytes);
                }
                case TAP_B -> tapB.read(bytes);
                case HOST -> datapath.ring().offer(hostPort, segment, 0, bytes.length);
                case UNBOUND -> datapath.ring().offer(unboundPort, segment, 0, bytes.length);
                case TUNNEL_NODE_2 -> datapath.tunnel().onVxlanPayload(NODE_2.vtepIp(), segment, 0, bytes.length);
                case TUNNEL_NODE_3 -> datapath.tunnel().onVxlanPayload(NODE_3.vtepIp(), segment, 0, bytes.length);
                case TUNNEL_STRANGER -> datapath.tunnel().onVxlanPayload(STRANGER_VTEP, segment, 0, bytes.length);
                case TRAIN_NODE_2 -> train(bytes);
                case PUBLISH_TABLE -> datapath.publish(table(++tableGeneration, bytes.length == 0 ? 0 : bytes[0] & 0xFF));
                case PUBLISH_POLICY -> datapath.publishPolicy(
                    policy(++policyGeneration, bytes.length == 0 ? 0 : bytes[0] & 0xFF));
            }
            runUntilIdle();
            if (source.fromTunnel)
            {
                assertEquals(tunnelledBefore, underlay.sent.size(), "a frame from the tunnel went back into it");
            }
            check();
        }

        /** As NativeUdpUnderlay hands a GRO read over: a train only when 0 < segment size < length. */
        private void train(final byte[] bytes)
        {
            final int segmentSize = bytes.length < 2 ? 0 : (bytes[0] & 0xFF) << 8 | bytes[1] & 0xFF;
            final int length = Math.max(0, bytes.length - 2);
            final MemorySegment payloads = Arena.ofAuto().allocate(Math.max(1, length)).asSlice(0, length);
            if (length > 0)
            {
                MemorySegment.copy(MemorySegment.ofArray(bytes), 2, payloads, 0, length);
            }
            if (segmentSize > 0 && segmentSize < length)
            {
                datapath.tunnel().onVxlanTrain(NODE_2.vtepIp(), payloads, 0, length, segmentSize);
            }
            else
            {
                datapath.tunnel().onVxlanPayload(NODE_2.vtepIp(), payloads, 0, length);
            }
        }


        private void runUntilIdle()
        {
            do
            {
                datapath.doWork();
            }
            while (!datapath.isIdle() || tapA.hasReads() || tapB.hasReads());
        }

        private void check()
        {
            if (!errors.entries().isEmpty())
            {
                final DistinctErrorLog.Entry first = errors.entries().getFirst();
                throw new AssertionError("the pipeline caught " + first.description(), first.first());
            }
            assertEquals(0, datapath.counters().droppedCount(DropReason.INTERNAL_ERROR));
            // Fragments held for reassembly are the one place a frame waits: received = forwarded + answered + Σ drops + held.
            final var counters = datapath.counters();
            assertEquals(counters.receivedCount(), counters.forwardedCount() + counters.answeredCount()
                + counters.droppedTotal() + datapath.reassembly().heldFragments(), () -> counters.drops() + " of "
                + counters.receivedCount() + ", " + datapath.reassembly().heldFragments() + " held");
            for (final ScriptedTapPort tap : List.of(tapA, tapB))
            {
                for (final ScriptedTapPort.Written written : tap.written())
                {
                    assertEmittedFrameParses(written.frame(), written.offload(), tap.name());
                }
                tap.written().clear();
            }
            for (final byte[] frame : toHost)
            {
                assertEmittedFrameParses(frame, Offload.NONE, "a memory port");
            }
            toHost.clear();
            for (final byte[] inner : underlay.sent)
            {
                assertEmittedFrameParses(inner, Offload.NONE, "the tunnel");
            }
            underlay.sent.clear();
        }
    }

    private void assertEmittedFrameParses(final byte[] frame, final long offload, final String where)
    {
        if (offload == Offload.NONE)
        {
            assertNull(parser.parse(MemorySegment.ofArray(frame), 0, frame.length, meta),
                () -> "the switch sent " + where + " a frame it refuses: " + TestFrames.toHex(frame));
            return;
        }
        final MemorySegment copy = Arena.ofAuto().allocate(frame.length);
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, copy, 0, frame.length);
        assertTrue(software.finish(copy, 0, frame.length, offload, (segment, offset, length) ->
        {
            final byte[] finished = TestFrames.toBytes(segment, offset, length);
            assertNull(parser.parse(MemorySegment.ofArray(finished), 0, finished.length, meta),
                () -> "the switch sent " + where + " a super-frame (" + Offload.describe(offload)
                    + ") that finishes as a frame it refuses: " + TestFrames.toHex(finished));
            return true;
        }), () -> "the switch sent " + where + " an offload request software cannot finish: "
            + Offload.describe(offload));
    }


    /** The forwarding tables the control plane may publish: B where it was, gone, or moved to port 5 (no port there). */
    private static ForwardingTable table(final long generation, final int choice)
    {
        return switch (choice % 3)
        {
            case 0 -> StageFixture.table(generation);
            case 1 -> StageFixture.table(generation, List.of(POD_A, HOST));
            default -> StageFixture.table(generation, List.of(POD_A, HOST,
                new LocalEndpoint(5, POD_B.mac(), POD_B.ip(), LocalEndpoint.Kind.POD, "default/b")));
        };
    }

    /** The policies the control plane may publish: none, A isolated for ingress but TCP 80 from B, or B isolated both ways. */
    private static PolicyTable policy(final long generation, final int choice)
    {
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(4);
        switch (choice % 3)
        {
            case 0 ->
            {
                return PolicyTable.ALLOW_ALL;
            }
            case 1 ->
            {
                rulesByIp.put(POD_A.ip(), new PolicyTable.EndpointRules(1, new DirectionRules(true,
                    new PortRulesBuilder().ports(6, 80, 80, new PeerSetBuilder().identity(2)).build()),
                    DirectionRules.NOT_ISOLATED));
                rulesByIp.put(POD_B.ip(), new PolicyTable.EndpointRules(2, DirectionRules.NOT_ISOLATED,
                    DirectionRules.NOT_ISOLATED));
            }
            default ->
            {
                final DirectionRules denyAll = new DirectionRules(true, new PortRulesBuilder().build());
                rulesByIp.put(POD_B.ip(), new PolicyTable.EndpointRules(2, denyAll, denyAll));
                rulesByIp.put(REMOTE_POD, new PolicyTable.EndpointRules(3, DirectionRules.NOT_ISOLATED,
                    DirectionRules.NOT_ISOLATED));
            }
        }
        return new PolicyTable(generation, rulesByIp);
    }

    /**
     * An underlay that delivers nothing, sends segment trains (UDP GSO) as the native one does, and
     * keeps the inner frame of everything it was given: outer frames and train segments alike.
     */
    private static final class TrainRecordingUnderlay implements VxlanUnderlay
    {
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public void bind(final int localVtepIp, final VxlanReceiver receiver)
        {
        }

        @Override
        public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort,
            final MemorySegment outerFrame, final long offset, final int length)
        {
            assertTrue(length >= VxlanOuterHeaders.LENGTH, "an outer frame shorter than its headers");
            sent.add(TestFrames.toBytes(outerFrame, offset + VxlanOuterHeaders.LENGTH, length - VxlanOuterHeaders.LENGTH));
            return true;
        }

        @Override
        public boolean sendsTrains()
        {
            return true;
        }

        @Override
        public boolean sendTrain(final int localVtepIp, final int remoteVtepIp, final int sourcePort,
            final MemorySegment payloads, final long offset, final int length, final int segmentSize, final int segments)
        {
            int count = 0;
            for (long at = offset; at < offset + length; at += segmentSize)
            {
                final int payload = (int)Math.min(segmentSize, offset + length - at);
                assertTrue(payload > VxlanFlyweight.HEADER_LENGTH, "a train segment without an inner frame");
                sent.add(TestFrames.toBytes(payloads, at + VxlanFlyweight.HEADER_LENGTH,
                    payload - VxlanFlyweight.HEADER_LENGTH));
                count++;
            }
            assertEquals(segments, count, "segments announced and laid out");
            return true;
        }

        @Override
        public void flush(final int localVtepIp)
        {
        }

        @Override
        public long sentCount()
        {
            return sent.size();
        }

        @Override
        public long deliveredCount()
        {
            return 0;
        }

        @Override
        public void close()
        {
        }
    }
}
