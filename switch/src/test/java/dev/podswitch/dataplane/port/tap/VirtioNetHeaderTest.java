package dev.podswitch.dataplane.port.tap;

import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.offload.OffloadCheck;
import dev.podswitch.dataplane.packet.TestFrames;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The virtio-net header in both directions, and the headers a port must refuse rather than pass
 * on: crafted as a pod's kernel (or a pod pretending to be one) would hand them over, in front of
 * real TCP and UDP frames.
 */
class VirtioNetHeaderTest
{
    private static final int ETH = 14;
    private static final int L4 = ETH + 20;
    private static final int SOURCE = TestFrames.ip(10, 244, 0, 2);
    private static final int DESTINATION = TestFrames.ip(10, 244, 0, 3);
    private static final int TCP_PAYLOAD = 20_000;

    private final MemorySegment header = Arena.ofAuto().allocate(VirtioNetHeader.LENGTH);
    private final MemorySegment tcp = frame(6, TestFrames.tcp(SOURCE, DESTINATION, 40000, 5201, 0x10,
        new byte[TCP_PAYLOAD]));
    private final MemorySegment udp = frame(17, TestFrames.udp(SOURCE, DESTINATION, 40000, 53, new byte[100]));

    private static MemorySegment frame(final int protocol, final byte[] l4)
    {
        return TestFrames.nativeCopy(TestFrames.ethernet(0x0A58_0AF4_0001L, 0x0A58_0AF4_0002L, 0x0800,
            TestFrames.ipv4(protocol, SOURCE, DESTINATION, 64, l4)));
    }

    private static int length(final MemorySegment frame)
    {
        return (int)frame.byteSize();
    }

    /** The header a pod's kernel writes: flags, GSO type, gso_size, csum_start, csum_offset. */
    private void header(final int flags, final int gsoType, final int gsoSize, final int checksumStart,
        final int checksumOffset)
    {
        header.set(ValueLayout.JAVA_BYTE, 0, (byte)flags);
        header.set(ValueLayout.JAVA_BYTE, 1, (byte)gsoType);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short)gsoSize);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short)checksumStart);
        header.set(ValueLayout.JAVA_SHORT_UNALIGNED, 8, (short)checksumOffset);
    }

    private long read(final MemorySegment frame)
    {
        return VirtioNetHeader.read(header, 0, frame, 0, length(frame));
    }

    @Test
    void shouldReadWhatItWroteForATcpSuperFrame()
    {
        tcp.set(ValueLayout.JAVA_BYTE, L4 + 12, (byte)0x80); // TCP data offset 8 words: 32-byte header
        final long request = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, L4, 16);
        VirtioNetHeader.write(header, request, tcp, 0);
        assertEquals(request, read(tcp));
        assertEquals(L4 + 32, header.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2), "hdr_len: Ethernet + IP + TCP headers");
    }

    @Test
    void shouldReadZeroesAsACompleteFrame()
    {
        assertEquals(Offload.NONE, read(tcp));
    }

    @Test
    void shouldKeepOnlyTheFlagWhenTheKernelSaysTheChecksumIsValid()
    {
        header(Offload.FLAG_CHECKSUM_VALID, 0, 0, 999, 0);
        assertEquals(Offload.of(Offload.FLAG_CHECKSUM_VALID, 0, 0, 0, 0), read(tcp));
    }

    @Test
    void shouldReadChecksumRequestsWhenTheyNameTheL4ChecksumField()
    {
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 16);
        assertEquals(Offload.of(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 16), read(tcp));
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 6);
        assertEquals(Offload.of(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 6), read(udp));
    }

    @Test
    void shouldRefuseHeadersNoKernelWithOurSettingsWrites()
    {
        header(0x40, 0, 0, 0, 0);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "unknown flag");
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, length(tcp) - 10, 16);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "checksum field beyond the frame");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_UDP, 1448, L4, 6);
        assertEquals(VirtioNetHeader.INVALID, read(udp), "UFO was never enabled");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 0, L4, 16);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "GSO without a segment size");
        header(0, Offload.GSO_TCPV4, 1448, L4, 16);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "GSO without a checksum request");
    }

    @Test
    void shouldRefuseAChecksumWriteAimedAtAnotherFieldWhenTheOffsetIsNotTheProtocols()
    {
        // The checksum is written after policy judged the frame: offset 2 from the UDP header is its
        // destination port, which the pod could turn into one policy denies.
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 2);
        assertEquals(VirtioNetHeader.INVALID, read(udp), "UDP destination port");
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 16);
        assertEquals(VirtioNetHeader.INVALID, read(udp), "TCP's offset on a UDP datagram");
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 6);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "UDP's offset on a TCP segment (its sequence number)");
    }

    @Test
    void shouldRefuseAChecksumStartThatIsNotTheL4HeaderWhenItWouldStillLandOnTheChecksumField()
    {
        // Start 4 bytes early, offset 4 bytes more: the write lands on the UDP checksum, but the sum
        // covers the destination address, so the pod chooses what is written.
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4 - 4, 10);
        assertEquals(VirtioNetHeader.INVALID, read(udp));
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4 + 2, 4);
        assertEquals(VirtioNetHeader.INVALID, read(udp));
    }

    @Test
    void shouldRefuseAChecksumRequestWhenTheFrameIsNotTcpOrUdpOverIpv4()
    {
        final MemorySegment icmp = frame(1, TestFrames.icmpEcho(8, 1, 1, new byte[32]));
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, L4, 2);
        assertEquals(VirtioNetHeader.INVALID, read(icmp), "ICMP is summed in software by the kernel");
        final MemorySegment ipv6 = TestFrames.nativeCopy(TestFrames.ethernet(0x0A58_0AF4_0001L, 0x0A58_0AF4_0002L,
            0x86DD, new byte[80]));
        header(Offload.FLAG_NEEDS_CHECKSUM, 0, 0, ETH + 40, 6);
        assertEquals(VirtioNetHeader.INVALID, read(ipv6), "IPv6: the switch forwards IPv4 only");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV6, 1448, ETH + 40, 16);
        assertEquals(VirtioNetHeader.INVALID, read(ipv6), "TCPv6 segmentation");
    }

    @Test
    void shouldRefuseASegmentSizeBelowTheFloorWhenAPodAsksForOne()
    {
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1, L4, 16);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "gso_size 1: 20,000 segments on the node's thread");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, OffloadCheck.MIN_POD_SEGMENT_SIZE - 1, L4, 16);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "just below the floor");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, OffloadCheck.MIN_POD_SEGMENT_SIZE, L4, 16);
        assertEquals(Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, OffloadCheck.MIN_POD_SEGMENT_SIZE, L4,
            16), read(tcp), "at the floor");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, L4, 6);
        assertEquals(VirtioNetHeader.INVALID, read(tcp), "segmentation with UDP's checksum offset");
        header(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, 1448, L4, 6);
        assertEquals(VirtioNetHeader.INVALID, read(udp), "TCP segmentation of a UDP datagram");
    }
}
