package dev.podswitch.dataplane;

import dev.podswitch.dataplane.capture.FrameMirror;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.port.tunnel.VxlanReceiver;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.LOCAL_VTEP;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.VNI;
import static dev.podswitch.dataplane.StageFixture.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive fairness under overload: every receive source is always ready — TAP-like sources that
 * have a frame for every read, and a polled tunnel socket that always has VXLAN packets from
 * node-2 — far more than the pipeline drains per cycle. Driven cycle by cycle through
 * {@link NodeDatapath#doWork()} on the test's thread, nothing timed: each source must be served
 * within a bounded number of cycles, all about equally, the tunnel included, and no frame may be
 * read only to be dropped for a full ring.
 */
class NodeDatapathFairnessTest
{
    private static final int WARM_UP_CYCLES = 64;
    private static final int MEASURED_CYCLES = 240;

    @Test
    void shouldServeEveryTapAndTheTunnelAboutEquallyWhenAllAreAlwaysReady()
    {
        final FloodingUnderlay underlay = new FloodingUnderlay(
            udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53));
        final NodeDatapath node = new NodeDatapath("node-1", NodeDatapath.DEFAULT_RING_SIZE, Frame.EMULATED_CAPACITY,
            LOCAL_VTEP, VNI, underlay, StageFixture.table(1), new DistinctErrorLog());
        for (final String name : new String[] {"a", "b", "h"})
        {
            node.addMemoryPort(name, (frame, offset, length) -> { });
        }
        final List<LocalEndpoint> senders = List.of(POD_A, POD_B, HOST);
        for (final LocalEndpoint sender : senders)
        {
            node.addReceiveSource(new FloodingSource(sender.portId(), udp(sender, REMOTE_POD, 40000, 53)));
        }
        // Who sent what the pipeline processed, by inner source address: A, B, H, and node-2's pod.
        final int[] sourceIps = {POD_A.ip(), POD_B.ip(), HOST.ip(), REMOTE_POD};
        final long[] processed = new long[sourceIps.length];
        node.capture(new FrameMirror()
        {
            @Override
            public void received(final MemorySegment frame, final long offset, final int length,
                final int tunnelSourceIp, final long nowNs)
            {
                final int sourceIp = PacketBytes.getI32(frame, offset + 14 + 12);
                for (int i = 0; i < sourceIps.length; i++)
                {
                    processed[i] += sourceIps[i] == sourceIp ? 1 : 0;
                }
            }

            @Override
            public void transmitted(final MemorySegment frame, final long offset, final int length, final long nowNs)
            {
            }
        });

        for (int cycle = 0; cycle < WARM_UP_CYCLES; cycle++)
        {
            node.doWork();
        }
        final long ringFullBefore = node.counters().droppedCount(DropReason.RING_FULL);
        final long[] start = processed.clone();
        final int[] lastServed = new int[sourceIps.length];
        final int[] longestWait = new int[sourceIps.length];
        for (int cycle = 1; cycle <= MEASURED_CYCLES; cycle++)
        {
            final long[] before = processed.clone();
            node.doWork();
            for (int i = 0; i < sourceIps.length; i++)
            {
                if (processed[i] > before[i])
                {
                    longestWait[i] = Math.max(longestWait[i], cycle - lastServed[i]);
                    lastServed[i] = cycle;
                }
            }
        }
        final long[] served = new long[sourceIps.length];
        for (int i = 0; i < sourceIps.length; i++)
        {
            served[i] = processed[i] - start[i];
            longestWait[i] = Math.max(longestWait[i], MEASURED_CYCLES + 1 - lastServed[i]);
        }

        final String shares = "served A, B, H, tunnel: " + Arrays.toString(served) + ", longest waits in cycles "
            + Arrays.toString(longestWait);
        // Four sources fit one 32-frame budget: each is served every cycle (bound ⌈4 / 32⌉ + 1 = 2).
        assertTrue(Arrays.stream(longestWait).allMatch(wait -> wait <= 2), shares);
        final long most = Arrays.stream(served).max().orElseThrow();
        final long least = Arrays.stream(served).min().orElseThrow();
        assertTrue(least * 10 >= most * 9, "about equal shares: " + shares);
        assertTrue(served[3] * 4 * 10 >= Arrays.stream(served).sum() * 9, "the tunnel gets its share: " + shares);
        assertEquals(ringFullBefore, node.counters().droppedCount(DropReason.RING_FULL),
            "nothing is read only to be dropped at a full ring: " + shares);
        assertTrue(Arrays.stream(served).sum() >= (long)(MEASURED_CYCLES - 1) * NodeDatapath.BATCH_LIMIT,
            "a full batch every cycle: " + shares);
        node.close();
    }

    @Test
    void shouldServeEverySourceWithinTheBoundWhenMoreSourcesThanABatchAreReady()
    {
        final NodeDatapath node = new NodeDatapath("node-1", NodeDatapath.DEFAULT_RING_SIZE, Frame.EMULATED_CAPACITY,
            LOCAL_VTEP, VNI, null, StageFixture.table(1), new DistinctErrorLog());
        final int sourceCount = 40;
        final FloodingSource[] sources = new FloodingSource[sourceCount];
        for (int i = 0; i < sourceCount; i++)
        {
            sources[i] = new FloodingSource(1 + i, udp(POD_A, REMOTE_POD, 40000 + i, 53));
            node.addReceiveSource(sources[i]);
        }
        for (int cycle = 0; cycle < WARM_UP_CYCLES; cycle++)
        {
            node.doWork();
        }
        final long[] start = Arrays.stream(sources).mapToLong(FloodingSource::accepted).toArray();
        final int[] lastServed = new int[sourceCount];
        final int[] longestWait = new int[sourceCount];
        for (int cycle = 1; cycle <= MEASURED_CYCLES; cycle++)
        {
            final long[] before = Arrays.stream(sources).mapToLong(FloodingSource::accepted).toArray();
            node.doWork();
            for (int i = 0; i < sourceCount; i++)
            {
                if (sources[i].accepted() > before[i])
                {
                    longestWait[i] = Math.max(longestWait[i], cycle - lastServed[i]);
                    lastServed[i] = cycle;
                }
            }
        }
        final long[] served = new long[sourceCount];
        for (int i = 0; i < sourceCount; i++)
        {
            served[i] = sources[i].accepted() - start[i];
            longestWait[i] = Math.max(longestWait[i], MEASURED_CYCLES + 1 - lastServed[i]);
        }

        final String shares = "served " + Arrays.toString(served) + ", longest waits " + Arrays.toString(longestWait);
        // 40 sources, 32 frames a cycle: ⌈40 / 32⌉ + 1 = 3 cycles at most between turns.
        assertTrue(Arrays.stream(longestWait).allMatch(wait -> wait <= 3), shares);
        final long most = Arrays.stream(served).max().orElseThrow();
        final long least = Arrays.stream(served).min().orElseThrow();
        assertTrue(least * 10 >= most * 9, "about equal shares: " + shares);
        node.close();
    }

    /** A TAP that always has another frame: every read returns one, offered to the ring (which may refuse it). */
    private static final class FloodingSource implements ReceiveSource
    {
        private final int portId;
        private final MemorySegment frame;
        private long accepted;

        FloodingSource(final int portId, final byte[] bytes)
        {
            this.portId = portId;
            this.frame = MemorySegment.ofArray(bytes);
        }

        long accepted()
        {
            return accepted;
        }

        @Override
        public int poll(final FrameRing ring, final int limit)
        {
            for (int i = 0; i < limit; i++)
            {
                accepted += ring.offer(portId, frame, 0, (int)frame.byteSize()) ? 1 : 0;
            }
            return limit;
        }
    }

    /** A polled underlay whose socket always has VXLAN packets from node-2; sends are discarded. */
    private static final class FloodingUnderlay implements VxlanUnderlay
    {
        private final MemorySegment payload;
        private VxlanReceiver receiver;

        FloodingUnderlay(final byte[] inner)
        {
            final byte[] vxlan = new byte[8 + inner.length];
            vxlan[0] = 0x08;
            vxlan[4] = (byte)(VNI >>> 16);
            vxlan[5] = (byte)(VNI >>> 8);
            vxlan[6] = (byte)VNI;
            System.arraycopy(inner, 0, vxlan, 8, inner.length);
            this.payload = MemorySegment.ofArray(vxlan);
        }

        @Override
        public void bind(final int localVtepIp, final VxlanReceiver vxlanReceiver)
        {
            receiver = vxlanReceiver;
        }

        @Override
        public boolean isPolled()
        {
            return true;
        }

        @Override
        public int poll(final int localVtepIp, final int limit)
        {
            for (int i = 0; i < limit; i++)
            {
                receiver.onVxlanPayload(NODE_2.vtepIp(), payload, 0, (int)payload.byteSize());
            }
            return limit;
        }

        @Override
        public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort,
            final MemorySegment outerFrame, final long offset, final int length)
        {
            return true;
        }

        @Override
        public void flush(final int localVtepIp)
        {
        }

        @Override
        public long sentCount()
        {
            return 0;
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
