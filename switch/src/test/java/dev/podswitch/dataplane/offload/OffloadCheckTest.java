package dev.podswitch.dataplane.offload;

import dev.podswitch.dataplane.packet.TestFrames;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The limits every offload request meets, wherever it came from: the segment cap at its edge, and the floor only where asked. */
class OffloadCheckTest
{
    private static final int L4 = 14 + 20;
    private static final int SOURCE = TestFrames.ip(10, 244, 0, 2);
    private static final int DESTINATION = TestFrames.ip(10, 244, 1, 3);

    private static MemorySegment tcpFrame(final int payloadLength)
    {
        return TestFrames.nativeCopy(TestFrames.ethernet(1, 2, 0x0800, TestFrames.ipv4(6, SOURCE, DESTINATION, 64,
            TestFrames.tcp(SOURCE, DESTINATION, 40000, 80, 0x10, new byte[payloadLength]))));
    }

    private static long tso(final int segmentSize)
    {
        return Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, segmentSize, L4, 16);
    }

    @Test
    void shouldAllowExactlyMaxSegmentsWhenNoFloorApplies()
    {
        final int segmentSize = 100;
        final MemorySegment atCap = tcpFrame(OffloadCheck.MAX_SEGMENTS * segmentSize);
        final MemorySegment overCap = tcpFrame(OffloadCheck.MAX_SEGMENTS * segmentSize + 1);
        assertTrue(OffloadCheck.fits(atCap, 0, (int)atCap.byteSize(), tso(segmentSize), 1));
        assertFalse(OffloadCheck.fits(overCap, 0, (int)overCap.byteSize(), tso(segmentSize), 1));
    }

    @Test
    void shouldApplyTheFloorOnlyWhenTheCallerAsksForIt()
    {
        final MemorySegment frame = tcpFrame(2000);
        final int below = OffloadCheck.MIN_POD_SEGMENT_SIZE - 1;
        assertTrue(OffloadCheck.fits(frame, 0, (int)frame.byteSize(), tso(below), 1),
            "a super-frame merged from the tunnel carries the remote sender's segment size");
        assertFalse(OffloadCheck.fits(frame, 0, (int)frame.byteSize(), tso(below), OffloadCheck.MIN_POD_SEGMENT_SIZE),
            "a pod's request");
    }

    @Test
    void shouldKeepEveryFullSizedSuperFrameWithinTheCapWhenAtTheFloor()
    {
        // 65,535 bytes of IPv4 less its and TCP's headers, at the floor: the floor and the cap agree.
        final MemorySegment largest = tcpFrame(65_535 - 20 - 20);
        assertTrue(OffloadCheck.fits(largest, 0, (int)largest.byteSize(), tso(OffloadCheck.MIN_POD_SEGMENT_SIZE),
            OffloadCheck.MIN_POD_SEGMENT_SIZE));
    }
}
