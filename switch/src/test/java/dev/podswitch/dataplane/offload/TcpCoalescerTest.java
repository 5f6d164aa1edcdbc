package dev.podswitch.dataplane.offload;

import dev.podswitch.dataplane.packet.Checksums;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive coalescing against software segmentation: segments cut from a super-frame merge back
 * into it (and cut again into the same segments); anything out of the ordinary passes alone, in order.
 */
class TcpCoalescerTest
{
    private static final int SOURCE = Ipv4.parse("10.244.1.2");
    private static final int DESTINATION = Ipv4.parse("10.244.2.3");
    private static final int L3 = EthernetFlyweight.HEADER_LENGTH;
    private static final int L4 = L3 + 20;
    private static final int MSS = 1448;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    private final List<byte[]> emitted = new ArrayList<>();
    private final List<Long> offloads = new ArrayList<>();
    private final TcpCoalescer.Output collect = (frame, offset, length, offload) ->
    {
        emitted.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        offloads.add(offload);
    };

    @Test
    void shouldMergeTheSegmentsOfASuperFrameBackIntoItAndCutItIntoTheSameSegmentsAgain()
    {
        final List<byte[]> segments = segmentsOf(superFrame(20_000, 5000, ACK | PSH));
        final TcpCoalescer coalescer = new TcpCoalescer(65_600);
        for (final byte[] segment : segments)
        {
            coalescer.accept(MemorySegment.ofArray(segment), 0, segment.length, collect);
        }
        coalescer.flush(collect);

        assertEquals(1, emitted.size());
        final long offload = offloads.get(0);
        assertEquals(Offload.GSO_TCPV4, Offload.gsoType(offload));
        assertEquals(MSS, Offload.segmentSize(offload));
        assertEquals(L4, Offload.checksumStart(offload));
        final MemorySegment merged = Arena.ofAuto().allocate(emitted.get(0).length);
        MemorySegment.copy(MemorySegment.ofArray(emitted.get(0)), 0, merged, 0, merged.byteSize());
        final List<byte[]> again = new ArrayList<>();
        new SoftwareOffload(65_600).finish(merged, 0, (int)merged.byteSize(), offload, (frame, offset, length) ->
            again.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)) || true);
        assertEquals(segments.size(), again.size());
        for (int i = 0; i < segments.size(); i++)
        {
            // Identification aside (the merged frame keeps the first one's; TSO numbers them again), byte for byte.
            assertArrayEquals(withoutIpIdAndChecksum(segments.get(i)), withoutIpIdAndChecksum(again.get(i)), "segment " + i);
        }
        assertEquals(1, coalescer.framesBuilt());
        assertEquals(segments.size(), coalescer.segmentsMerged());
    }

    @Test
    void shouldPassOnAloneWhatDoesNotContinueTheFlowInOrder()
    {
        final List<byte[]> segments = segmentsOf(superFrame(5 * MSS, 100, ACK));
        final byte[] corrupt = segments.get(3).clone();
        corrupt[corrupt.length - 1] ^= 1;
        final TcpCoalescer coalescer = new TcpCoalescer(65_600);
        for (final byte[] segment : List.of(segments.get(0), segments.get(1), segments.get(3), corrupt, segments.get(4)))
        {
            coalescer.accept(MemorySegment.ofArray(segment), 0, segment.length, collect);
        }
        coalescer.flush(collect);

        // [0+1 merged], [3 alone: a gap before it], [corrupt: alone, unmerged], [4 alone: nothing to join]
        assertEquals(4, emitted.size());
        assertEquals(Offload.GSO_TCPV4, Offload.gsoType(offloads.get(0)));
        assertEquals(2 * MSS + L4 + 20, emitted.get(0).length);
        assertArrayEquals(segments.get(3), emitted.get(1));
        assertEquals(Offload.NONE, offloads.get(1));
        assertArrayEquals(corrupt, emitted.get(2));
        assertEquals(Offload.NONE, offloads.get(2));
        assertArrayEquals(segments.get(4), emitted.get(3));
    }

    @Test
    void shouldNeverBuildAFrameLargerThanItsCapacity()
    {
        final List<byte[]> segments = segmentsOf(superFrame(10 * MSS, 1, ACK));
        final TcpCoalescer coalescer = new TcpCoalescer(1600);
        for (final byte[] segment : segments)
        {
            coalescer.accept(MemorySegment.ofArray(segment), 0, segment.length, collect);
        }
        coalescer.flush(collect);
        assertEquals(10, emitted.size());
        for (int i = 0; i < 10; i++)
        {
            assertArrayEquals(segments.get(i), emitted.get(i));
            assertEquals(Offload.NONE, offloads.get(i));
        }
    }

    /** Found by TcpCoalescerFuzzTest: one-byte segments filled a 672-byte slot with 600 of them. */
    @Test
    void shouldNeverMergeMoreSegmentsThanAnyoneMayCutAgain()
    {
        final List<byte[]> segments = new ArrayList<>(segmentsOf(superFrame(100, 1, ACK), 1));
        segments.addAll(segmentsOf(superFrame(100, 101, ACK), 1));
        final TcpCoalescer coalescer = new TcpCoalescer(65_600);
        for (final byte[] segment : segments)
        {
            coalescer.accept(MemorySegment.ofArray(segment), 0, segment.length, collect);
        }
        coalescer.flush(collect);

        assertEquals(2, emitted.size());
        assertEquals(OffloadCheck.MAX_SEGMENTS + L4 + 20, emitted.get(0).length);
        assertEquals(200 - OffloadCheck.MAX_SEGMENTS + L4 + 20, emitted.get(1).length);
        for (int i = 0; i < emitted.size(); i++)
        {
            final MemorySegment merged = Arena.ofAuto().allocate(emitted.get(i).length);
            MemorySegment.copy(MemorySegment.ofArray(emitted.get(i)), 0, merged, 0, merged.byteSize());
            assertTrue(new SoftwareOffload(65_600).isFeasible(merged, 0, (int)merged.byteSize(), offloads.get(i)),
                "super-frame " + i + " can be cut again");
        }
    }

    private static byte[] withoutIpIdAndChecksum(final byte[] frame)
    {
        final byte[] copy = frame.clone();
        copy[L3 + 4] = copy[L3 + 5] = copy[L3 + 10] = copy[L3 + 11] = 0;
        return copy;
    }

    private static List<byte[]> segmentsOf(final MemorySegment superFrame)
    {
        return segmentsOf(superFrame, MSS);
    }

    private static List<byte[]> segmentsOf(final MemorySegment superFrame, final int segmentSize)
    {
        final List<byte[]> segments = new ArrayList<>();
        new SoftwareOffload(65_600).finish(superFrame, 0, (int)superFrame.byteSize(),
            Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, segmentSize, L4, 16), (frame, offset, length) ->
                segments.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)) || true);
        return segments;
    }

    private static MemorySegment superFrame(final int payloadLength, final int sequence, final int flags)
    {
        final int tcpLength = TcpFlyweight.MIN_HEADER_LENGTH + payloadLength;
        final MemorySegment frame = Arena.ofAuto().allocate(L4 + tcpLength);
        new EthernetFlyweight().wrap(frame, 0).destinationMac(0x0A58_0A00_0001L).sourceMac(0x0A58_0A00_0002L)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(frame, L3).init(IpProtocol.TCP.number(), SOURCE, DESTINATION, tcpLength, 77);
        new TcpFlyweight().wrap(frame, L4).init(40000, 5201, sequence, 99, flags);
        final byte[] payload = new byte[payloadLength];
        new Random(payloadLength).nextBytes(payload);
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, frame, L4 + 20, payloadLength);
        PacketBytes.putU16(frame, L4 + 16,
            ~Checksums.fold(Checksums.pseudoHeaderSum(SOURCE, DESTINATION, IpProtocol.TCP.number(), tcpLength)) & 0xFFFF);
        return frame;
    }
}
