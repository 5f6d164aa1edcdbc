package dev.podswitch.dataplane.offload;

import dev.podswitch.dataplane.packet.Checksums;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Software TSO and checksum completion against what a receiving stack checks: every segment is a
 * valid TCP/IPv4 packet (both checksums, lengths, identification, sequence, flags), and the
 * segments' payloads put together are the super-frame's payload.
 */
class SoftwareOffloadTest
{
    private static final int SOURCE = Ipv4.parse("10.244.1.2");
    private static final int DESTINATION = Ipv4.parse("10.244.2.3");
    private static final int L3 = EthernetFlyweight.HEADER_LENGTH;
    private static final int L4 = L3 + Ipv4Flyweight.MIN_HEADER_LENGTH;
    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_CWR = 0x80;

    private final SoftwareOffload offload = new SoftwareOffload(65_600);
    private final List<byte[]> sent = new ArrayList<>();
    private final SegmentSink collect = (frame, offset, length) ->
    {
        sent.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        return true;
    };

    @ParameterizedTest(name = "payload {0}, mss {1}")
    @CsvSource({"10000, 1448", "1448, 1448", "1449, 1448", "65483, 1448", "100, 1448", "3000, 536", "0, 1448"})
    void shouldCutASuperFrameIntoValidSegmentsWhosePayloadsAreTheOriginal(final int payloadLength, final int mss)
    {
        final byte[] payload = randomBytes(payloadLength);
        final MemorySegment frame = tcpSuperFrame(payload, 1_000_000, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR, 0x1234);
        final int length = L4 + TcpFlyweight.MIN_HEADER_LENGTH + payloadLength;
        final long request = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, mss, L4, 16);

        assertTrue(offload.isFeasible(frame, 0, length, request));
        assertTrue(offload.finish(frame, 0, length, request, collect));

        final int expectedSegments = Math.max(1, (payloadLength + mss - 1) / mss);
        assertEquals(expectedSegments, sent.size());
        final ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < sent.size(); i++)
        {
            final MemorySegment segment = MemorySegment.ofArray(sent.get(i));
            final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(segment, L3);
            final TcpFlyweight tcp = new TcpFlyweight().wrap(segment, L4);
            final int tcpLength = sent.get(i).length - L4;
            assertTrue(ip.isChecksumValid(), "IPv4 header checksum of segment " + i);
            assertEquals(sent.get(i).length - L3, ip.totalLength());
            assertEquals(0x1234 + i, ip.identification());
            assertTrue(tcp.isChecksumValid(SOURCE, DESTINATION, tcpLength), "TCP checksum of segment " + i);
            assertEquals(1_000_000 + i * mss, tcp.sequence());
            final boolean last = i == sent.size() - 1;
            assertEquals(last, (tcp.flags() & TCP_FIN) != 0, "FIN only on the last");
            assertEquals(last, (tcp.flags() & TCP_PSH) != 0, "PSH only on the last");
            assertEquals(i == 0, (tcp.flags() & TCP_CWR) != 0, "CWR only on the first");
            assertTrue((tcp.flags() & TCP_ACK) != 0);
            assertTrue(tcpLength - TcpFlyweight.MIN_HEADER_LENGTH <= mss);
            joined.write(sent.get(i), L4 + TcpFlyweight.MIN_HEADER_LENGTH, tcpLength - TcpFlyweight.MIN_HEADER_LENGTH);
        }
        assertArrayEquals(payload, joined.toByteArray());
        assertEquals(1, offload.framesSegmented());
    }

    @Test
    void shouldCompleteAPartialTcpChecksumInPlace()
    {
        final byte[] payload = randomBytes(777);
        final MemorySegment frame = tcpSuperFrame(payload, 42, TCP_ACK, 7);
        final int length = L4 + TcpFlyweight.MIN_HEADER_LENGTH + payload.length;
        final TcpFlyweight tcp = new TcpFlyweight().wrap(frame, L4);
        assertFalse(tcp.isChecksumValid(SOURCE, DESTINATION, length - L4), "only the pseudo-header sum so far");

        assertTrue(offload.finish(frame, 0, length, Offload.of(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 16), collect));

        assertEquals(1, sent.size());
        assertTrue(new TcpFlyweight().wrap(MemorySegment.ofArray(sent.get(0)), L4)
            .isChecksumValid(SOURCE, DESTINATION, length - L4));
        assertEquals(1, offload.checksumsCompleted());
    }

    @Test
    void shouldCompleteAPartialUdpChecksum()
    {
        final int payloadLength = 18;
        final MemorySegment frame = Arena.ofAuto().allocate(L4 + UdpFlyweight.HEADER_LENGTH + payloadLength);
        new EthernetFlyweight().wrap(frame, 0).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(frame, L3).init(IpProtocol.UDP.number(), SOURCE, DESTINATION,
            UdpFlyweight.HEADER_LENGTH + payloadLength, 1);
        new UdpFlyweight().wrap(frame, L4).init(40000, 53, payloadLength);
        MemorySegment.copy(MemorySegment.ofArray(randomBytes(payloadLength)), 0, frame, L4 + 8, payloadLength);
        PacketBytes.putU16(frame, L4 + 6, pseudoSeed(IpProtocol.UDP.number(), UdpFlyweight.HEADER_LENGTH + payloadLength));

        assertTrue(offload.finish(frame, 0, (int)frame.byteSize(), Offload.of(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 6),
            collect));

        assertTrue(new UdpFlyweight().wrap(MemorySegment.ofArray(sent.get(0)), L4).isChecksumValid(SOURCE, DESTINATION));
    }

    @Test
    void shouldRefuseRequestsItCannotHonour()
    {
        final MemorySegment frame = tcpSuperFrame(randomBytes(3000), 1, TCP_ACK, 1);
        final int length = L4 + TcpFlyweight.MIN_HEADER_LENGTH + 3000;
        assertFalse(offload.isFeasible(frame, 0, length,
            Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV6, 1448, L4, 16)), "TCPv6 GSO on an IPv4 frame");
        assertFalse(offload.isFeasible(frame, 0, length,
            Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 0, L4, 16)), "no segment size");
        assertFalse(offload.isFeasible(frame, 0, 40, Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, L4, 16)),
            "headers beyond the frame");
        assertFalse(offload.isFeasible(frame, 0, length, Offload.of(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, length - 1, 16)),
            "checksum field beyond the frame");
        PacketBytes.putU8(frame, L3 + 9, IpProtocol.UDP.number());
        assertFalse(offload.isFeasible(frame, 0, length,
            Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, L4, 16)), "TSO of a UDP packet");
        assertTrue(sent.isEmpty());
    }

    @Test
    void shouldLeaveTheFrameUntouchedWhenTheChecksumWriteIsAimedAtTheUdpDestinationPort()
    {
        // Policy has judged the frame by its destination port (53); a checksum written at offset 2
        // of the UDP header would turn it into whatever the pod arranged the sum to be.
        final MemorySegment frame = Arena.ofAuto().allocate(L4 + UdpFlyweight.HEADER_LENGTH + 18);
        new EthernetFlyweight().wrap(frame, 0).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(frame, L3).init(IpProtocol.UDP.number(), SOURCE, DESTINATION,
            UdpFlyweight.HEADER_LENGTH + 18, 1);
        new UdpFlyweight().wrap(frame, L4).init(40000, 53, 18);
        final byte[] before = frame.toArray(ValueLayout.JAVA_BYTE);
        final long aimedAtPort = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 2);

        assertFalse(offload.isFeasible(frame, 0, (int)frame.byteSize(), aimedAtPort));
        assertFalse(offload.finish(frame, 0, (int)frame.byteSize(), aimedAtPort, collect));

        assertArrayEquals(before, frame.toArray(ValueLayout.JAVA_BYTE), "the destination port is still 53");
        assertTrue(sent.isEmpty());
        assertEquals(0, offload.checksumsCompleted());
    }

    @Test
    void shouldRefuseASuperFrameWhenItWouldMakeMoreSegmentsThanTheCap()
    {
        final int payloadLength = 3000;
        final MemorySegment frame = tcpSuperFrame(randomBytes(payloadLength), 1, TCP_ACK, 1);
        final int length = L4 + TcpFlyweight.MIN_HEADER_LENGTH + payloadLength;
        final long oneByteSegments = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1, L4, 16);

        assertFalse(offload.isFeasible(frame, 0, length, oneByteSegments), "3,000 segments of one byte");
        assertFalse(offload.finish(frame, 0, length, oneByteSegments, collect));
        assertTrue(sent.isEmpty());
        assertEquals(0, offload.segmentsMade());

        final int smallest = (payloadLength + OffloadCheck.MAX_SEGMENTS - 1) / OffloadCheck.MAX_SEGMENTS;
        assertTrue(offload.finish(frame, 0, length,
            Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, smallest, L4, 16), collect),
            "the smallest segment size that stays within the cap");
        assertTrue(sent.size() <= OffloadCheck.MAX_SEGMENTS, "segments: " + sent.size());
    }

    @Test
    void shouldPackAndUnpackEveryField()
    {
        final long packed = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4 | Offload.GSO_ECN, 1448, 34, 16);
        assertEquals(Offload.FLAG_NEEDS_CHECKSUM, Offload.flags(packed));
        assertEquals(Offload.GSO_TCPV4 | Offload.GSO_ECN, Offload.gsoType(packed));
        assertEquals(1448, Offload.segmentSize(packed));
        assertEquals(34, Offload.checksumStart(packed));
        assertEquals(16, Offload.checksumOffset(packed));
        assertTrue(Offload.isSegmented(packed));
        assertTrue(Offload.needsWork(packed));
        assertFalse(Offload.needsWork(Offload.of(Offload.FLAG_CHECKSUM_VALID, 0, 0, 0, 0)));
    }

    /** A TCP/IPv4 frame as a kernel with TSO hands it over: real lengths, the pseudo-header sum in the checksum. */
    private static MemorySegment tcpSuperFrame(final byte[] payload, final int sequence, final int flags,
        final int identification)
    {
        final int tcpLength = TcpFlyweight.MIN_HEADER_LENGTH + payload.length;
        final MemorySegment frame = Arena.ofAuto().allocate(L4 + tcpLength);
        new EthernetFlyweight().wrap(frame, 0).destinationMac(0x0A58_0A00_0001L).sourceMac(0x0A58_0A00_0002L)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(frame, L3).init(IpProtocol.TCP.number(), SOURCE, DESTINATION, tcpLength, identification);
        new TcpFlyweight().wrap(frame, L4).init(40000, 5201, sequence, 99, flags);
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, frame, L4 + TcpFlyweight.MIN_HEADER_LENGTH, payload.length);
        PacketBytes.putU16(frame, L4 + 16, pseudoSeed(IpProtocol.TCP.number(), tcpLength));
        return frame;
    }

    /** What Linux leaves in the checksum field of a CHECKSUM_PARTIAL packet: the folded, uninverted pseudo-header sum. */
    private static int pseudoSeed(final int protocol, final int l4Length)
    {
        return ~Checksums.fold(Checksums.pseudoHeaderSum(SOURCE, DESTINATION, protocol, l4Length)) & 0xFFFF;
    }

    private static byte[] randomBytes(final int length)
    {
        final byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
