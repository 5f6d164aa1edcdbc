package dev.podswitch.scenarios.capture;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.SourceRewrite;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV4Rfc791Tos;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.pcap4j.packet.namednumber.EtherType;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.packet.namednumber.TcpPort;
import org.pcap4j.packet.namednumber.UdpPort;
import org.pcap4j.util.MacAddress;

import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link PcapFrames}, the reader {@code podswitch replay} uses: frames written with pcap4j (built
 * with pcap4j's own packet builders, not podswitch's flyweights) come back whole and in order, and
 * after {@link SourceRewrite} they carry the pod's addresses with valid IPv4, TCP and UDP
 * checksums. Another link type, a file that is no capture, and a capture cut short are errors
 * naming the file; a frame the capture kept only part of says so.
 */
class PcapFramesTest
{
    private static final MacAddress CAPTURED_MAC = MacAddress.getByName("02:11:22:33:44:55");
    private static final MacAddress OLD_GATEWAY = MacAddress.getByName("02:aa:bb:cc:dd:ee");

    @TempDir
    Path directory;

    @BeforeEach
    void requireLibpcap()
    {
        try
        {
            Pcaps.openDead(DataLinkType.EN10MB, 65_535).close();
        }
        catch (final Exception | LinkageError missing)
        {
            if ("true".equals(System.getenv("CI")))
            {
                throw new AssertionError("CI=true: libpcap is required", missing);
            }
            assumeTrue(false, "libpcap is not installed (apt-get install libpcap0.8): " + missing.getMessage());
        }
    }

    static Inet4Address ip(final String text) throws Exception
    {
        return (Inet4Address)InetAddress.getByName(text);
    }

    /** An Ethernet/IPv4/TCP SYN as pcap4j builds it (checksums, lengths and padding by pcap4j). */
    static byte[] tcpSyn(final String source, final String destination, final int sourcePort, final int destinationPort)
        throws Exception
    {
        final TcpPacket.Builder tcp = new TcpPacket.Builder().srcPort(TcpPort.getInstance((short)sourcePort))
            .dstPort(TcpPort.getInstance((short)destinationPort)).sequenceNumber(1000 + sourcePort).syn(true)
            .window((short)64240).srcAddr(ip(source)).dstAddr(ip(destination))
            .correctChecksumAtBuild(true).correctLengthAtBuild(true);
        return ethernet(ipv4(IpNumber.TCP, source, destination, tcp));
    }

    static byte[] udp(final String source, final String destination, final byte[] payload) throws Exception
    {
        final UdpPacket.Builder udp = new UdpPacket.Builder().srcPort(UdpPort.getInstance((short)5353))
            .dstPort(UdpPort.DOMAIN).srcAddr(ip(source)).dstAddr(ip(destination))
            .payloadBuilder(new UnknownPacket.Builder().rawData(payload))
            .correctChecksumAtBuild(true).correctLengthAtBuild(true);
        return ethernet(ipv4(IpNumber.UDP, source, destination, udp));
    }

    private static IpV4Packet.Builder ipv4(final IpNumber protocol, final String source, final String destination,
        final org.pcap4j.packet.Packet.Builder payload) throws Exception
    {
        return new IpV4Packet.Builder().version(IpVersion.IPV4).tos(IpV4Rfc791Tos.newInstance((byte)0)).ttl((byte)64)
            .protocol(protocol).srcAddr(ip(source)).dstAddr(ip(destination)).dontFragmentFlag(true)
            .identification((short)7).payloadBuilder(payload).correctChecksumAtBuild(true).correctLengthAtBuild(true);
    }

    private static byte[] ethernet(final IpV4Packet.Builder ipv4)
    {
        return new EthernetPacket.Builder().srcAddr(CAPTURED_MAC).dstAddr(OLD_GATEWAY).type(EtherType.IPV4)
            .payloadBuilder(ipv4).paddingAtBuild(true).build().getRawData();
    }

    /** Writes {@code frames} to a pcap file of link type {@code linkType} with pcap4j's dumper. */
    static Path write(final Path file, final DataLinkType linkType, final List<byte[]> frames) throws Exception
    {
        try (PcapHandle handle = Pcaps.openDead(linkType, 65_535))
        {
            final PcapDumper dumper = handle.dumpOpen(file.toString());
            try
            {
                long millis = 1_709_294_400_000L;
                for (final byte[] frame : frames)
                {
                    dumper.dumpRaw(frame, new Timestamp(millis++));
                }
                dumper.flush();
            }
            finally
            {
                dumper.close();
            }
        }
        return file;
    }

    @Test
    void shouldReadBackEveryFrameInOrder() throws Exception
    {
        final List<byte[]> frames = List.of(tcpSyn("192.168.7.9", "10.244.1.10", 40001, 3306),
            udp("192.168.7.9", "10.244.1.10", "query".getBytes()), tcpSyn("192.168.7.9", "10.244.1.10", 40002, 5432));
        final Path file = write(directory.resolve("three.pcap"), DataLinkType.EN10MB, frames);
        final List<byte[]> read = new ArrayList<>();
        try (PcapFrames pcap = PcapFrames.open(file))
        {
            PcapFrames.Record record;
            while ((record = pcap.next()) != null)
            {
                assertFalse(record.truncated());
                read.add(record.frame());
            }
            assertEquals(3, pcap.count());
        }
        assertEquals(3, read.size());
        for (int i = 0; i < frames.size(); i++)
        {
            assertArrayEquals(frames.get(i), read.get(i), "frame " + i);
        }
    }

    @Test
    void shouldGiveFramesThePodsAddressesWithValidChecksumsOnceRewritten() throws Exception
    {
        final Path file = write(directory.resolve("capture.pcap"), DataLinkType.EN10MB,
            List.of(tcpSyn("192.168.7.9", "10.244.1.10", 40001, 3306), udp("192.168.7.9", "10.244.1.10", new byte[33])));
        final int podIp = (10 << 24) | (244 << 16) | 10;
        final long podMac = 0x0a58_0000_0000L | (podIp & 0xFFFF_FFFFL);
        final long gatewayMac = 0x0a58_0af4_0001L;
        final SourceRewrite rewrite = new SourceRewrite(podMac, podIp, gatewayMac);
        try (PcapFrames pcap = PcapFrames.open(file))
        {
            for (int i = 0; i < 2; i++)
            {
                final PcapFrames.Record record = pcap.next();
                final MemorySegment frame = MemorySegment.ofArray(record.frame());
                assertEquals(SourceRewrite.Result.IPV4, rewrite.apply(frame, 0, record.frame().length));
                final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(frame, 0);
                assertEquals(podMac, ethernet.sourceMac());
                assertEquals(gatewayMac, ethernet.destinationMac());
                final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(frame, EthernetFlyweight.HEADER_LENGTH);
                assertEquals(podIp, ipv4.sourceIp());
                assertTrue(ipv4.isChecksumValid(), "IPv4 header checksum of frame " + i);
                final int l4Length = ipv4.totalLength() - ipv4.headerLength();
                final boolean l4Valid = i == 0
                    ? new TcpFlyweight().wrap(frame, ipv4.payloadOffset()).isChecksumValid(podIp, ipv4.destinationIp(), l4Length)
                    : new UdpFlyweight().wrap(frame, ipv4.payloadOffset()).isChecksumValid(podIp, ipv4.destinationIp());
                assertTrue(l4Valid, "L4 checksum with the pod's pseudo-header, frame " + i);
            }
            assertNull(pcap.next());
        }
    }

    @Test
    void shouldRefuseAnotherLinkTypeNamingTheFile() throws Exception
    {
        final Path file = write(directory.resolve("cooked.pcap"), DataLinkType.LINUX_SLL, List.of(new byte[40]));
        final PcapFrames.InvalidCapture refused = assertThrows(PcapFrames.InvalidCapture.class, () -> PcapFrames.open(file));
        assertTrue(refused.getMessage().contains(file.toString()), refused.getMessage());
        assertTrue(refused.getMessage().contains("link type 113"), refused.getMessage());
        assertTrue(refused.getMessage().contains("DLT_EN10MB"), refused.getMessage());
    }

    @Test
    void shouldRefuseWhatIsNoCaptureAndACaptureCutShortNamingTheFile() throws Exception
    {
        final Path text = Files.writeString(directory.resolve("notes.pcap"), "this is not a capture, just some notes\n");
        final PcapFrames.InvalidCapture notCapture = assertThrows(PcapFrames.InvalidCapture.class, () -> PcapFrames.open(text));
        assertTrue(notCapture.getMessage().startsWith(text + " is not a capture file"), notCapture.getMessage());

        final Path missing = directory.resolve("missing.pcap");
        assertTrue(assertThrows(PcapFrames.InvalidCapture.class, () -> PcapFrames.open(missing)).getMessage()
            .contains(missing.toString()));

        // One whole frame, then a record header that promises 74 bytes of which 20 are there.
        final Path whole = write(directory.resolve("whole.pcap"), DataLinkType.EN10MB,
            List.of(tcpSyn("192.168.7.9", "10.244.1.10", 40001, 3306)));
        final ByteBuffer cut = ByteBuffer.allocate(16 + 20).order(ByteOrder.nativeOrder());
        cut.putInt(1_709_294_401).putInt(0).putInt(74).putInt(74);
        final Path damaged = directory.resolve("damaged.pcap");
        Files.write(damaged, concat(Files.readAllBytes(whole), cut.array()));
        try (PcapFrames pcap = PcapFrames.open(damaged))
        {
            assertTrue(pcap.next() != null);
            final PcapFrames.InvalidCapture broken = assertThrows(PcapFrames.InvalidCapture.class, pcap::next);
            assertTrue(broken.getMessage().startsWith(damaged + ": cannot read frame 2"), broken.getMessage());
        }
    }

    @Test
    void shouldSayWhenTheCaptureKeptOnlyPartOfAFrame() throws Exception
    {
        // Classic pcap written by hand: snap length 54, one record of 54 captured bytes of a 1514-byte frame.
        final byte[] frame = tcpSyn("192.168.7.9", "10.244.1.10", 40001, 80);
        final ByteBuffer file = ByteBuffer.allocate(24 + 16 + 54).order(ByteOrder.LITTLE_ENDIAN);
        file.putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(54).putInt(1);
        file.putInt(1_709_294_400).putInt(0).putInt(54).putInt(1514).put(frame, 0, 54);
        final Path snapped = Files.write(directory.resolve("snapped.pcap"), file.array());
        try (PcapFrames pcap = PcapFrames.open(snapped))
        {
            final PcapFrames.Record record = pcap.next();
            assertTrue(record.truncated());
            assertEquals(54, record.frame().length);
            assertEquals(1514, record.originalLength());
        }
    }

    private static byte[] concat(final byte[] first, final byte[] second)
    {
        final byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
