package dev.podswitch.dataplane.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static dev.podswitch.dataplane.packet.TestFrames.naiveChecksum;
import static dev.podswitch.dataplane.packet.TestFrames.naivePseudoSum;
import static dev.podswitch.dataplane.packet.TestFrames.naiveSum;
import static dev.podswitch.dataplane.packet.TestFrames.putU16;
import static dev.podswitch.dataplane.packet.TestFrames.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link SourceRewrite}: a captured frame becomes the pod's — its MAC and IP as source, the
 * gateway's MAC as destination — and every checksum over the source address is right again,
 * checked here with the naive RFC 1071 sums of {@link TestFrames}, not with the code under test.
 */
class SourceRewriteTest
{
    private static final int CAPTURED_IP = ip(192, 168, 7, 9);
    private static final long CAPTURED_MAC = 0x02_11_22_33_44_55L;
    private static final int POD_IP = ip(10, 244, 0, 10);
    private static final long POD_MAC = 0x0a_58_0a_f4_00_0aL;
    private static final long GATEWAY_MAC = 0x0a_58_0a_f4_00_01L;
    private static final int PEER_IP = ip(10, 244, 1, 10);

    private final SourceRewrite rewrite = new SourceRewrite(POD_MAC, POD_IP, GATEWAY_MAC);

    private SourceRewrite.Result apply(final byte[] frame)
    {
        return rewrite.apply(MemorySegment.ofArray(frame), 0, frame.length);
    }

    private static long mac(final byte[] frame, final int offset)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (frame[offset + i] & 0xFF);
        }
        return mac;
    }

    private static int i32(final byte[] frame, final int offset)
    {
        return (u16(frame, offset) << 16) | u16(frame, offset + 2);
    }

    private static boolean l4Valid(final byte[] frame, final int protocol, final int l4Length)
    {
        final int pseudo = naivePseudoSum(i32(frame, ETH + 12), i32(frame, ETH + 16), protocol, l4Length);
        return (~naiveSum(frame, ETH + 20, l4Length, pseudo) & 0xFFFF) == 0;
    }

    private static void assertRewrittenHeaders(final byte[] frame)
    {
        assertEquals(GATEWAY_MAC, mac(frame, 0), "destination MAC: the gateway's");
        assertEquals(POD_MAC, mac(frame, 6), "source MAC: the pod's");
        assertEquals(POD_IP, i32(frame, ETH + 12), "source IP: the pod's");
        assertEquals(0, naiveChecksum(frame, ETH, 20), "IPv4 header checksum valid");
    }

    @Test
    void shouldMakeATcpSynThePodsWithValidChecksumsEvenWhenTheCaptureHadNone()
    {
        final byte[] tcp = TestFrames.tcp(CAPTURED_IP, PEER_IP, 40000, 3306, TcpFlyweight.FLAG_SYN, new byte[0]);
        putU16(tcp, 16, 0); // captured on the sender with checksum offload: never filled in
        final byte[] frame = TestFrames.pad(TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC,
            EthernetFlyweight.ETHER_TYPE_IPV4, TestFrames.ipv4(6, CAPTURED_IP, PEER_IP, 64, tcp)));
        final byte[] padding = Arrays.copyOfRange(frame, ETH + 40, frame.length);

        assertEquals(SourceRewrite.Result.IPV4, apply(frame));

        assertRewrittenHeaders(frame);
        assertEquals(PEER_IP, i32(frame, ETH + 16), "destination IP kept");
        assertEquals(true, l4Valid(frame, 6, 20), "TCP checksum over the pod's pseudo-header");
        assertArrayEquals(padding, Arrays.copyOfRange(frame, ETH + 40, frame.length), "Ethernet padding untouched");
    }

    @Test
    void shouldRecomputeAUdpChecksumAndKeepAMissingOneMissing()
    {
        final byte[] udp = TestFrames.udp(CAPTURED_IP, PEER_IP, 5353, 53, "query".getBytes());
        final byte[] frame = TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC, EthernetFlyweight.ETHER_TYPE_IPV4,
            TestFrames.ipv4(17, CAPTURED_IP, PEER_IP, 64, udp));
        assertEquals(SourceRewrite.Result.IPV4, apply(frame));
        assertRewrittenHeaders(frame);
        assertEquals(true, l4Valid(frame, 17, udp.length));

        final byte[] unsummed = TestFrames.udp(CAPTURED_IP, PEER_IP, 5353, 53, "query".getBytes());
        putU16(unsummed, 6, 0);
        final byte[] noChecksum = TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC,
            EthernetFlyweight.ETHER_TYPE_IPV4, TestFrames.ipv4(17, CAPTURED_IP, PEER_IP, 64, unsummed));
        apply(noChecksum);
        assertRewrittenHeaders(noChecksum);
        assertEquals(0, u16(noChecksum, ETH + 20 + 6), "UDP without a checksum stays without one");
    }

    @Test
    void shouldPatchTheChecksumOfAFirstFragmentAndLeaveLaterFragmentsPayloadAlone()
    {
        final byte[] data = new byte[100];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)(i * 7 + 3);
        }
        final byte[] whole = TestFrames.tcp(CAPTURED_IP, PEER_IP, 40000, 80, TcpFlyweight.FLAG_ACK, data);
        // The first fragment: the TCP header and 40 bytes of data, more fragments to come.
        final byte[] first = TestFrames.ipv4(6, CAPTURED_IP, PEER_IP, 64, Arrays.copyOf(whole, 60));
        putU16(first, 6, Ipv4Flyweight.FLAG_MORE_FRAGMENTS);
        putU16(first, 10, 0);
        putU16(first, 10, naiveChecksum(first, 0, 20));
        final byte[] frame = TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC, EthernetFlyweight.ETHER_TYPE_IPV4,
            first);
        assertEquals(SourceRewrite.Result.IPV4, apply(frame));
        assertRewrittenHeaders(frame);
        // What the whole segment sums to from the pod's address is what the patched field holds.
        final byte[] expected = TestFrames.tcp(POD_IP, PEER_IP, 40000, 80, TcpFlyweight.FLAG_ACK, data);
        assertEquals(u16(expected, 16), u16(frame, ETH + 20 + 16), "first fragment: checksum of the whole segment");

        final byte[] later = TestFrames.ipv4(6, CAPTURED_IP, PEER_IP, 64, Arrays.copyOfRange(whole, 60, whole.length));
        putU16(later, 6, 60 / 8);
        putU16(later, 10, 0);
        putU16(later, 10, naiveChecksum(later, 0, 20));
        final byte[] laterFrame = TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC,
            EthernetFlyweight.ETHER_TYPE_IPV4, later);
        apply(laterFrame);
        assertRewrittenHeaders(laterFrame);
        assertArrayEquals(Arrays.copyOfRange(whole, 60, whole.length), Arrays.copyOfRange(laterFrame, ETH + 20,
            laterFrame.length), "a later fragment's payload is data, not a header");
    }

    @Test
    void shouldPatchASegmentTheCaptureCutShort()
    {
        final byte[] data = new byte[200];
        Arrays.fill(data, (byte)0x5a);
        final byte[] frame = TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC, EthernetFlyweight.ETHER_TYPE_IPV4,
            TestFrames.ipv4(6, CAPTURED_IP, PEER_IP, 64, TestFrames.tcp(CAPTURED_IP, PEER_IP, 1, 2, 0x18, data)));
        final byte[] cut = Arrays.copyOf(frame, ETH + 20 + 20 + 16);
        apply(cut);
        assertRewrittenHeaders(cut);
        final byte[] expected = TestFrames.tcp(POD_IP, PEER_IP, 1, 2, 0x18, data);
        assertEquals(u16(expected, 16), u16(cut, ETH + 20 + 16), "patched for the address (RFC 1624)");
    }

    @Test
    void shouldRewriteAnArpSenderButKeepAProbeAProbe()
    {
        final byte[] request = TestFrames.ethernet(PacketBytes.BROADCAST_MAC, CAPTURED_MAC,
            EthernetFlyweight.ETHER_TYPE_ARP, TestFrames.arp(1, CAPTURED_MAC, CAPTURED_IP, 0, PEER_IP));
        assertEquals(SourceRewrite.Result.ARP, apply(request));
        assertEquals(POD_MAC, mac(request, ETH + 8));
        assertEquals(POD_IP, i32(request, ETH + 14));
        assertEquals(PEER_IP, i32(request, ETH + 24), "target kept");

        final byte[] probe = TestFrames.ethernet(PacketBytes.BROADCAST_MAC, CAPTURED_MAC,
            EthernetFlyweight.ETHER_TYPE_ARP, TestFrames.arp(1, CAPTURED_MAC, 0, 0, PEER_IP));
        apply(probe);
        assertEquals(0, i32(probe, ETH + 14), "0.0.0.0 is a probe, not a claim");
    }

    @Test
    void shouldTouchOnlyTheMacsOfOtherFramesAndNothingOfARunt()
    {
        final byte[] ipv6 = TestFrames.ethernet(0x33_33_00_00_00_01L, CAPTURED_MAC, 0x86DD, new byte[40]);
        assertEquals(SourceRewrite.Result.MACS_ONLY, apply(ipv6));
        assertEquals(POD_MAC, mac(ipv6, 6));
        assertArrayEquals(new byte[40], Arrays.copyOfRange(ipv6, ETH, ipv6.length));

        final byte[] runt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(SourceRewrite.Result.UNTOUCHED, apply(runt));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, runt);

        final byte[] badIhl = TestFrames.ethernet(0x02_aa_bb_cc_dd_eeL, CAPTURED_MAC, EthernetFlyweight.ETHER_TYPE_IPV4,
            TestFrames.ipv4(6, CAPTURED_IP, PEER_IP, 64, new byte[20]));
        badIhl[ETH] = 0x4f; // 60-byte header in a 40-byte packet
        assertEquals(SourceRewrite.Result.MACS_ONLY, apply(badIhl));
        assertEquals(CAPTURED_IP, i32(badIhl, ETH + 12), "a header the frame does not hold is not written into");
    }
}
