package dev.podswitch.dataplane.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static dev.podswitch.dataplane.packet.TestFrames.hex;
import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static dev.podswitch.dataplane.packet.TestFrames.nativeCopy;
import static dev.podswitch.dataplane.packet.TestFrames.toBytes;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each flyweight decodes a known-good packet field by field, then encodes the same packet into
 * zeroed memory and must produce the same bytes. Checksums in the packets were verified by
 * summing their 16-bit words by hand (and by {@link TestFrames#naiveChecksum}).
 */
class FlyweightCodecTest
{
    /** ARP who-has 192.168.1.1 tell 192.168.1.100, broadcast, padded to the 60-byte minimum. */
    private static final byte[] ARP_REQUEST = hex("""
        ffffffffffff 525400123456 0806
        0001 0800 06 04 0001 525400123456 c0a80164 000000000000 c0a80101
        000000000000000000000000000000000000""");

    /** The IPv4 header of the Wikipedia checksum example (UDP, 192.168.0.1 → 192.168.0.199), checksum 0xb861. */
    private static final byte[] IPV4_HEADER = hex("45000073 0000 4000 40 11 b861 c0a80001 c0a800c7");

    /**
     * An ICMP echo request 10.244.0.2 → 10.244.1.2, id 0x1c46, seq 1, 48 data bytes. The 16-bit
     * words of the ICMP message (checksum zeroed) sum to 0x48a1 after folding, so the checksum is
     * ~0x48a1 = 0xb75e; the IPv4 header words sum to 0x2968, checksum 0xd697.
     */
    private static final byte[] ICMP_ECHO = hex("""
        0a580af40001 0a580af40002 0800
        4500004c 4d2e 4000 40 01 d697 0af40002 0af40102
        0800 b75e 1c46 0001 a1b2c3d400000000
        101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637""");

    /**
     * A TCP SYN with options (MSS 1460, SACK permitted, timestamps, NOP, window scale 7) from a
     * capture, 192.168.254.103:59058 → 192.168.254.107:8888; IP checksum 0x7430, TCP 0xd502.
     */
    private static final byte[] TCP_SYN_IP = hex("""
        4500003c 4867 4000 40 06 7430 c0a8fe67 c0a8fe6b
        e6b2 22b8 60a0e96f 00000000 a0 02 ffff d502 0000
        020405b4 0402 080a 0055a108 00000000 01 030307""");

    /** A DNS query for example.com/A, 192.168.1.100:53421 → 8.8.8.8:53, UDP checksum 0xce47. */
    private static final byte[] DNS_QUERY_IP = hex("""
        45000039 1f2e 0000 40 11 896a c0a80164 08080808
        d0ad 0035 0025 ce47
        beef 0100 0001 0000 0000 0000 076578616d706c6503636f6d00 0001 0001""");

    /**
     * Scapy's {@code IP()/SCTP()/SCTPChunkInit(params=[SCTPChunkParamIPv4Addr()])} (its SCTP regression
     * tests): INIT with an IPv4 address parameter; the CRC32c bytes on the wire are 40 2c 0b 5f.
     */
    private static final byte[] SCTP_INIT_IP = hex("""
        4500003c 0001 0000 40 84 7c3b 7f000001 7f000001
        0000 0000 00000000 402c0b5f
        01 00 001c 00000000 00000000 00000000 00000000
        0005 0008 7f000001""");

    @Test
    void shouldDecodeAndEncodeEthernetAndArpRequestWhenGivenCapturedBytes()
    {
        final MemorySegment frame = nativeCopy(ARP_REQUEST);
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(frame, 0);
        assertEquals(PacketBytes.BROADCAST_MAC, ethernet.destinationMac());
        assertEquals(0x5254_0012_3456L, ethernet.sourceMac());
        assertEquals(EthernetFlyweight.ETHER_TYPE_ARP, ethernet.etherType());
        assertEquals(14, ethernet.payloadOffset());
        final ArpFlyweight arp = new ArpFlyweight().wrap(frame, ethernet.payloadOffset());
        assertTrue(arp.isEthernetIpv4());
        assertEquals(ArpFlyweight.OPERATION_REQUEST, arp.operation());
        assertEquals(0x5254_0012_3456L, arp.senderMac());
        assertEquals(ip(192, 168, 1, 100), arp.senderIp());
        assertEquals(0L, arp.targetMac());
        assertEquals(ip(192, 168, 1, 1), arp.targetIp());

        final MemorySegment encoded = nativeCopy(new byte[ARP_REQUEST.length]);
        new EthernetFlyweight().wrap(encoded, 0).destinationMac(PacketBytes.BROADCAST_MAC).sourceMac(0x5254_0012_3456L)
            .etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        new ArpFlyweight().wrap(encoded, 14).initEthernetIpv4(ArpFlyweight.OPERATION_REQUEST)
            .senderMac(0x5254_0012_3456L).senderIp(ip(192, 168, 1, 100)).targetMac(0).targetIp(ip(192, 168, 1, 1));
        assertEquals(toHex(ARP_REQUEST), toHex(toBytes(encoded, 0, ARP_REQUEST.length)));
    }

    @Test
    void shouldDecodeAndEncodeIpv4HeaderWhenGivenTheWikipediaChecksumExample()
    {
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(nativeCopy(IPV4_HEADER), 0);
        assertEquals(4, ipv4.version());
        assertEquals(20, ipv4.headerLength());
        assertEquals(0x73, ipv4.totalLength());
        assertEquals(0, ipv4.identification());
        assertFalse(ipv4.isFragment());
        assertEquals(64, ipv4.ttl());
        assertEquals(17, ipv4.protocol());
        assertEquals(0xB861, ipv4.checksum());
        assertTrue(ipv4.isChecksumValid());
        assertEquals(ip(192, 168, 0, 1), ipv4.sourceIp());
        assertEquals(ip(192, 168, 0, 199), ipv4.destinationIp());
        assertEquals(20, ipv4.payloadOffset());

        final MemorySegment encoded = nativeCopy(new byte[20]);
        new Ipv4Flyweight().wrap(encoded, 0).init(17, ip(192, 168, 0, 1), ip(192, 168, 0, 199), 0x73 - 20, 0);
        assertEquals(toHex(IPV4_HEADER), toHex(toBytes(encoded, 0, 20)));
    }

    @Test
    void shouldDecodeAndEncodeIcmpEchoRequestWhenChecksumVerifiedByHand()
    {
        final MemorySegment frame = nativeCopy(ICMP_ECHO);
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(frame, 14);
        assertEquals(76, ipv4.totalLength());
        assertEquals(0x4D2E, ipv4.identification());
        assertEquals(0xD697, ipv4.checksum());
        assertTrue(ipv4.isChecksumValid());
        final IcmpFlyweight icmp = new IcmpFlyweight().wrap(frame, ipv4.payloadOffset());
        assertEquals(IcmpFlyweight.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0xB75E, icmp.checksum());
        assertEquals(0xB75E, TestFrames.naiveChecksum(withZeroAt(ICMP_ECHO, 36), 34, 56));
        assertTrue(icmp.isChecksumValid(56));
        assertEquals(0x1C46, icmp.identifier());
        assertEquals(1, icmp.sequence());
        assertFalse(icmp.isError());
        assertEquals(42, icmp.payloadOffset());

        final MemorySegment encoded = nativeCopy(new byte[ICMP_ECHO.length]);
        new EthernetFlyweight().wrap(encoded, 0).destinationMac(0x0A58_0AF4_0001L).sourceMac(0x0A58_0AF4_0002L)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(encoded, 14).init(1, ip(10, 244, 0, 2), ip(10, 244, 1, 2), 56, 0x4D2E);
        MemorySegment.copy(frame, 42, encoded, 42, 48);
        new IcmpFlyweight().wrap(encoded, 34).type(IcmpFlyweight.TYPE_ECHO_REQUEST).code(0).identifier(0x1C46).sequence(1)
            .updateChecksum(56);
        assertEquals(toHex(ICMP_ECHO), toHex(toBytes(encoded, 0, ICMP_ECHO.length)));
    }

    @Test
    void shouldDecodeTcpSynAndReproduceItsCapturedChecksumWhenEncoded()
    {
        final MemorySegment packet = nativeCopy(TCP_SYN_IP);
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(packet, 0);
        assertTrue(ipv4.isChecksumValid());
        assertEquals(0x7430, ipv4.checksum());
        final TcpFlyweight tcp = new TcpFlyweight().wrap(packet, 20);
        assertEquals(59058, tcp.sourcePort());
        assertEquals(8888, tcp.destinationPort());
        assertEquals(0x60A0_E96F, tcp.sequence());
        assertEquals(0, tcp.acknowledgment());
        assertEquals(40, tcp.headerLength());
        assertEquals(TcpFlyweight.FLAG_SYN, tcp.flags());
        assertEquals(0xD502, tcp.checksum());
        assertTrue(tcp.isChecksumValid(ipv4.sourceIp(), ipv4.destinationIp(), 40));

        // The flyweight writes the fixed header; window and data offset of the capture are patched in.
        final MemorySegment encoded = nativeCopy(new byte[TCP_SYN_IP.length]);
        new Ipv4Flyweight().wrap(encoded, 0).init(6, ip(192, 168, 254, 103), ip(192, 168, 254, 107), 40, 0x4867);
        assertEquals(toHex(java.util.Arrays.copyOf(TCP_SYN_IP, 20)), toHex(toBytes(encoded, 0, 20)));
        final TcpFlyweight out = new TcpFlyweight().wrap(encoded, 20).init(59058, 8888, 0x60A0_E96F, 0, TcpFlyweight.FLAG_SYN);
        assertEquals(64240, PacketBytes.getU16(encoded, 20 + TcpFlyweight.WINDOW_OFFSET));
        assertEquals(20, out.headerLength());
        PacketBytes.putU16(encoded, 20 + TcpFlyweight.WINDOW_OFFSET, 0xFFFF);
        PacketBytes.putU8(encoded, 20 + TcpFlyweight.DATA_OFFSET_OFFSET, 0xA0);
        MemorySegment.copy(packet, 40, encoded, 40, 20);
        out.updateChecksum(ip(192, 168, 254, 103), ip(192, 168, 254, 107), 40);
        assertEquals(toHex(TCP_SYN_IP), toHex(toBytes(encoded, 0, TCP_SYN_IP.length)));
    }

    @Test
    void shouldDecodeAndEncodeUdpDnsQueryWhenGivenKnownChecksum()
    {
        final MemorySegment packet = nativeCopy(DNS_QUERY_IP);
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight().wrap(packet, 0);
        assertTrue(ipv4.isChecksumValid());
        assertFalse(ipv4.isFragment());
        final UdpFlyweight udp = new UdpFlyweight().wrap(packet, 20);
        assertEquals(53421, udp.sourcePort());
        assertEquals(53, udp.destinationPort());
        assertEquals(37, udp.length());
        assertEquals(0xCE47, udp.checksum());
        assertTrue(udp.isChecksumValid(ipv4.sourceIp(), ipv4.destinationIp()));
        assertEquals(28, udp.payloadOffset());

        final MemorySegment encoded = nativeCopy(new byte[DNS_QUERY_IP.length]);
        MemorySegment.copy(packet, 0, encoded, 0, 20);
        MemorySegment.copy(packet, 28, encoded, 28, 29);
        new UdpFlyweight().wrap(encoded, 20).init(53421, 53, 29).updateChecksum(ip(192, 168, 1, 100), ip(8, 8, 8, 8));
        assertEquals(toHex(DNS_QUERY_IP), toHex(toBytes(encoded, 0, DNS_QUERY_IP.length)));
    }

    @Test
    void shouldDecodeScapySctpInitAndReproduceItsLittleEndianCrcWhenEncoded()
    {
        final MemorySegment packet = nativeCopy(SCTP_INIT_IP);
        assertTrue(new Ipv4Flyweight().wrap(packet, 0).isChecksumValid());
        final SctpFlyweight sctp = new SctpFlyweight().wrap(packet, 20);
        assertEquals(0, sctp.sourcePort());
        assertEquals(0, sctp.destinationPort());
        assertEquals(0, sctp.verificationTag());
        assertEquals(SctpFlyweight.CHUNK_INIT, sctp.chunkType());
        assertEquals(0, sctp.chunkFlags());
        assertEquals(28, sctp.chunkLength());
        assertEquals(0, sctp.initiateTag());
        assertTrue(sctp.isChecksumValid(40));
        assertEquals(0x5F0B_2C40, TestFrames.naiveCrc32c(withZeroAt(withZeroAt(SCTP_INIT_IP, 28), 30), 20, 40),
            "the CRC; its bytes travel least significant first: 40 2c 0b 5f");

        final MemorySegment encoded = nativeCopy(SCTP_INIT_IP.clone());
        PacketBytes.putI32(encoded, 28, 0xDEAD_BEEF);
        assertFalse(new SctpFlyweight().wrap(encoded, 20).isChecksumValid(40));
        assertEquals(0xDEAD_BEEF, PacketBytes.getI32(encoded, 28), "validation must leave the stored value in place");
        new SctpFlyweight().wrap(encoded, 20).updateChecksum(40);
        assertEquals(toHex(SCTP_INIT_IP), toHex(toBytes(encoded, 0, SCTP_INIT_IP.length)));
    }

    @Test
    void shouldEncodeSctpInitLikeTheNaiveBuilderWhenWrittenByTheFlyweight()
    {
        final MemorySegment encoded = nativeCopy(new byte[32]);
        final SctpFlyweight sctp = new SctpFlyweight().wrap(encoded, 0).initCommonHeader(40000, 9000, 0);
        final int length = sctp.putInitChunk(SctpFlyweight.CHUNK_INIT, 0x1234_5678, 0);
        assertEquals(32, length);
        sctp.updateChecksum(length);
        assertEquals(toHex(TestFrames.sctpInit(40000, 9000, 0x1234_5678)), toHex(toBytes(encoded, 0, 32)));
        assertEquals(0x1234_5678, sctp.initiateTag());
    }

    @Test
    void shouldZeroChunkPaddingWhenStateCookieLengthIsNotAMultipleOfFour()
    {
        // RFC 9260 §3.2: a chunk is padded to 4 bytes with zeros, and the CRC covers the padding.
        final byte[] dirty = new byte[64];
        java.util.Arrays.fill(dirty, (byte)0xEE);
        final MemorySegment segment = nativeCopy(dirty);
        final SctpFlyweight sctp = new SctpFlyweight().wrap(segment, 0).initCommonHeader(9000, 40000, 0x0102_0304);
        final int length = sctp.putInitChunk(SctpFlyweight.CHUNK_INIT_ACK, 0x0A0B_0C0D, 5);
        assertEquals(12 + 32, length);
        assertEquals(20 + 4 + 5, sctp.chunkLength());
        assertEquals(SctpFlyweight.PARAMETER_STATE_COOKIE, PacketBytes.getU16(segment, 32));
        assertEquals(9, PacketBytes.getU16(segment, 34));
        assertEquals("000000", toHex(toBytes(segment, 12 + 29, 3)), "chunk padding");
    }

    @Test
    void shouldDecodeAndEncodeVxlanHeaderWhenIFlagAndVniSet()
    {
        final byte[] header = hex("08 000000 123456 00");
        final VxlanFlyweight vxlan = new VxlanFlyweight().wrap(nativeCopy(header), 0);
        assertTrue(vxlan.isVniValid());
        assertEquals(0x123456, vxlan.vni());
        assertEquals(8, vxlan.payloadOffset());

        final MemorySegment encoded = nativeCopy(new byte[8]);
        new VxlanFlyweight().wrap(encoded, 0).init(0x123456);
        assertEquals(toHex(header), toHex(toBytes(encoded, 0, 8)));

        final VxlanFlyweight reserved = new VxlanFlyweight().wrap(nativeCopy(hex("08 ffffff fffffe ff")), 0);
        assertTrue(reserved.isVniValid());
        assertEquals(0xFFFFFE, reserved.vni(), "reserved bits are not part of the VNI");
        assertFalse(new VxlanFlyweight().wrap(nativeCopy(hex("f7 000000 000001 00")), 0).isVniValid());
    }

    @Test
    void shouldRoundTripMacsAndIpsWhenFormattedAndParsed()
    {
        assertEquals("0a:58:0a:f4:00:02", PacketBytes.macToString(0x0A58_0AF4_0002L));
        assertEquals(0xFFFF_FFFF_FFFFL, PacketBytes.parseMac("ff:ff:ff:ff:ff:ff"));
        assertEquals("192.168.254.107", PacketBytes.ipToString(ip(192, 168, 254, 107)));
    }

    @Test
    void shouldRejectMacTextWhenAnOctetIsNotOneOrTwoHexDigits()
    {
        for (final String bad : new String[] {"0a:58:0a:f4:00:-1", "100:0:0:0:0:0", "0a:58:0a:f4:00:", "+1:2:3:4:5:6",
            "0a:58:0a:f4:00:02:03", "g0:00:00:00:00:00"})
        {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PacketBytes.parseMac(bad),
                bad);
        }
        assertEquals(0x0A58_0AF4_0002L, PacketBytes.parseMac("0A:58:a:f4:0:02"));
    }

    private static byte[] withZeroAt(final byte[] bytes, final int offset)
    {
        final byte[] copy = bytes.clone();
        copy[offset] = 0;
        copy[offset + 1] = 0;
        return copy;
    }
}
