package dev.podswitch.dataplane.packet;

import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The malformed-frame corpus through {@link FrameParser}: exactly the expected reason, never an exception. */
class FrameParserMalformedTest
{
    static List<MalformedFrames.Case> corpus()
    {
        return MalformedFrames.corpus(MalformedFrames.DEFAULT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void shouldReturnExactlyTheExpectedReasonWhenFrameIsBroken(final MalformedFrames.Case c)
    {
        final FrameParser parser = new FrameParser();
        final PacketMeta meta = new PacketMeta();
        // Memory ends where the frame ends, so a read past it throws instead of passing silently.
        assertEquals(c.expected(), parser.parse(TestFrames.nativeCopy(c.frame()), 0, c.frame().length, meta), c.name());

        final int prefix = 7;
        final byte[] shifted = new byte[prefix + c.frame().length];
        System.arraycopy(c.frame(), 0, shifted, prefix, c.frame().length);
        assertEquals(c.expected(), parser.parse(MemorySegment.ofArray(shifted), prefix, c.frame().length, meta),
            c.name() + " at offset " + prefix);
        if (c.expected() == null)
        {
            FrameParserFuzzTest.assertMetaInsideFrame(meta, prefix, c.frame().length);
        }
    }

    @Test
    void shouldCoverEveryParserDropReasonWhenCorpusIsBuilt()
    {
        final Set<DropReason> parserReasons = EnumSet.of(DropReason.TRUNCATED_ETHERNET, DropReason.UNKNOWN_ETHERTYPE,
            DropReason.MALFORMED_ARP, DropReason.TRUNCATED_IPV4, DropReason.BAD_IP_VERSION, DropReason.BAD_IHL,
            DropReason.BAD_IP_LENGTH, DropReason.BAD_IP_CHECKSUM, DropReason.IP_FRAGMENT, DropReason.TRUNCATED_L4,
            DropReason.BAD_TCP_HEADER, DropReason.BAD_UDP_LENGTH);
        final Set<DropReason> covered = EnumSet.noneOf(DropReason.class);
        corpus().stream().filter(c -> c.expected() != null).forEach(c -> covered.add(c.expected()));
        assertEquals(parserReasons, covered);
    }

    @Test
    void shouldFillMetaFromEveryLayerWhenFramesAreValid()
    {
        final FrameParser parser = new FrameParser();
        final PacketMeta meta = new PacketMeta();
        final MalformedFrames.Addresses a = MalformedFrames.DEFAULT;
        final List<MalformedFrames.Case> twice = new java.util.ArrayList<>(MalformedFrames.validFrames(a));
        twice.addAll(MalformedFrames.validFrames(a));
        for (final MalformedFrames.Case c : twice)
        {
            assertEquals(null, parser.parse(MemorySegment.ofArray(c.frame()), 0, c.frame().length, meta), c.name());
            assertEquals(a.sourceMac(), meta.sourceMac, c.name());
            assertEquals(14, meta.l3Offset, c.name());
            switch (c.name())
            {
                case "arp-request" ->
                {
                    assertTrue(meta.isArp());
                    assertEquals(PacketBytes.BROADCAST_MAC, meta.destinationMac);
                    assertEquals(ArpFlyweight.OPERATION_REQUEST, meta.arpOperation);
                    assertEquals(a.sourceMac(), meta.arpSenderMac);
                    assertEquals(a.sourceIp(), meta.arpSenderIp);
                    assertEquals(a.destinationIp(), meta.arpTargetIp);
                    assertEquals(0, meta.sourcePort, "no stale ports from an earlier frame");
                    assertEquals(0, meta.ipProtocol);
                }
                case "icmp-echo" -> assertAll(meta, 1, 0, 0, 32, () -> assertEquals(0x1C46, meta.icmpIdentifier));
                case "tcp-syn" -> assertAll(meta, 6, 40000, 80, 20, () -> assertEquals(0x02, meta.tcpFlags));
                case "udp-dns" -> assertAll(meta, 17, 53421, 53, 17, () -> assertEquals(0, meta.tcpFlags));
                case "sctp-init" -> assertAll(meta, 132, 40000, 9000, 32, () -> assertEquals(1, meta.sctpChunkType));
                case "gre-opaque" -> assertAll(meta, 47, 0, 0, 12, () -> assertEquals(0, meta.icmpType));
                case "ipv4-options" ->
                {
                    assertAll(meta, 17, 1000, 2000, 12, () -> { });
                    assertEquals(14 + 24, meta.l4Offset);
                }
                default -> throw new AssertionError(c.name());
            }
        }
    }

    private static void assertAll(final PacketMeta meta, final int protocol, final int sourcePort,
        final int destinationPort, final int l4Length, final Runnable more)
    {
        final MalformedFrames.Addresses a = MalformedFrames.DEFAULT;
        assertTrue(meta.isIpv4());
        assertEquals(a.gatewayMac(), meta.destinationMac);
        assertEquals(a.sourceIp(), meta.ipSource);
        assertEquals(a.destinationIp(), meta.ipDestination);
        assertEquals(64, meta.ipTtl);
        assertEquals(protocol, meta.ipProtocol);
        assertEquals(sourcePort, meta.sourcePort);
        assertEquals(destinationPort, meta.destinationPort);
        assertEquals(l4Length, meta.l4Length);
        assertEquals(meta.l4Offset - meta.l3Offset + l4Length, meta.ipTotalLength);
        more.run();
    }
}
