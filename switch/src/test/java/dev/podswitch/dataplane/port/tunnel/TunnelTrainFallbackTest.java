package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DatapathCounters;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A UDP GSO train the kernel refuses (EMSGSIZE: a segment larger than the path MTU) must not be
 * lost: its segments go out as single datagrams, in order, each a whole VXLAN packet.
 */
class TunnelTrainFallbackTest
{
    private static final int VTEP_A = ip(127, 1, 0, 1);
    private static final int VTEP_B = ip(127, 1, 0, 2);

    /** Accepts single datagrams, refuses every train — as the kernel does above the path MTU. */
    private static final class RefusingTrains implements VxlanUnderlay
    {
        final List<Integer> singles = new ArrayList<>();
        final AtomicInteger trains = new AtomicInteger();

        @Override
        public void bind(final int localVtepIp, final VxlanReceiver receiver)
        {
        }

        @Override
        public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort, final MemorySegment outer,
            final long offset, final int length)
        {
            singles.add(length - TunnelPort.OUTER_UDP_PAYLOAD_OFFSET);
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
            trains.incrementAndGet();
            return false;
        }

        @Override
        public void flush(final int localVtepIp)
        {
        }

        @Override
        public long sentCount()
        {
            return singles.size();
        }

        @Override
        public long deliveredCount()
        {
            return singles.size();
        }

        @Override
        public void close()
        {
        }
    }

    @Test
    void shouldSendTheSegmentsOfARefusedTrainOneByOne()
    {
        final RefusingTrains underlay = new RefusingTrains();
        final DatapathCounters counters = new DatapathCounters();
        final TunnelPort tunnel = new TunnelPort(0, VTEP_A, 1, Frame.EMULATED_CAPACITY, underlay,
            new FrameRing(64, Frame.EMULATED_CAPACITY, counters), counters, vtep -> false);
        final MemorySegment segment = Arena.ofAuto().allocate(1514);

        tunnel.beginTrain(VTEP_B, 42);
        assertTrue(tunnel.appendToTrain(segment, 0, 1514));
        assertTrue(tunnel.appendToTrain(segment, 0, 1514));
        assertTrue(tunnel.appendToTrain(segment, 0, 600));

        assertTrue(tunnel.endTrain(), "every segment left, though not as a train");
        assertEquals(1, underlay.trains.get());
        assertEquals(List.of(8 + 1514, 8 + 1514, 8 + 600), underlay.singles, "VXLAN header + inner frame each, in order");
        assertEquals(1, tunnel.trainFallbackCount());
    }
}
