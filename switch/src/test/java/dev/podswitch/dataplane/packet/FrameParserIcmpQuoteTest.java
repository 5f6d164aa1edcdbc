package dev.podswitch.dataplane.packet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.u16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The flow quoted inside ICMP errors, read from real bytes: what conntrack needs to recognise an
 * error as RELATED. A quote that cannot name a flow never makes the outer packet a parse error.
 */
class FrameParserIcmpQuoteTest
{
    private static final int POD = TestFrames.ip(10, 244, 0, 2);
    private static final int SERVER = TestFrames.ip(10, 244, 1, 7);
    private static final int ROUTER = TestFrames.ip(10, 244, 1, 1);

    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();

    /** An ICMP error of {@code type}/{@code code} from {@code ROUTER} to {@code POD} carrying {@code quote}. */
    static byte[] icmpError(final int type, final int code, final byte[] quote)
    {
        final byte[] icmp = ByteBuffer.allocate(8 + quote.length).put((byte)type).put((byte)code).putShort((short)0)
            .putInt(0).put(quote).array();
        TestFrames.putU16(icmp, 2, TestFrames.naiveChecksum(icmp, 0, icmp.length));
        return TestFrames.ethernet(0x0A58_0AF4_0002L, 0x0A58_0AF4_0001L, 0x0800,
            TestFrames.ipv4(1, ROUTER, POD, 64, icmp));
    }

    /** The offending packet's IP header and its first {@code payloadBytes} bytes, as a router quotes it. */
    static byte[] quote(final byte[] ipPacket, final int payloadBytes)
    {
        final int headerLength = (ipPacket[0] & 0x0F) * 4;
        return Arrays.copyOf(ipPacket, Math.min(ipPacket.length, headerLength + payloadBytes));
    }

    private static byte[] udpPacket()
    {
        return TestFrames.ipv4(17, POD, SERVER, 1, TestFrames.udp(POD, SERVER, 5353, 53, new byte[12]));
    }

    private void parse(final byte[] frame)
    {
        assertNull(parser.parse(TestFrames.nativeCopy(frame), 0, frame.length, meta), "outer packet is well formed");
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {3, 4, 5, 11, 12})
    void shouldReadQuotedUdpTupleWhenIcmpErrorQuotesHeaderAndEightBytes(final int type)
    {
        parse(icmpError(type, 3, quote(udpPacket(), 8)));
        assertEquals(type, meta.icmpType);
        assertTrue(meta.icmpErrorHasQuote);
        assertEquals(POD, meta.quotedSource);
        assertEquals(SERVER, meta.quotedDestination);
        assertEquals(17, meta.quotedProtocol);
        assertEquals(5353, meta.quotedSourcePort);
        assertEquals(53, meta.quotedDestinationPort);
        assertEquals(0, meta.quotedIcmpType);
        assertEquals(0, meta.sourcePort, "the outer packet has no ports");
    }

    @Test
    void shouldReadQuotedTcpPortsWhenOnlyTheFirstFourBytesArePresent()
    {
        final byte[] tcp = TestFrames.ipv4(6, POD, SERVER, 1, TestFrames.tcp(POD, SERVER, 40000, 8080, 0x02, new byte[0]));
        parse(icmpError(11, 0, quote(tcp, 4)));
        assertTrue(meta.icmpErrorHasQuote);
        assertEquals(6, meta.quotedProtocol);
        assertEquals(40000, meta.quotedSourcePort);
        assertEquals(8080, meta.quotedDestinationPort);
    }

    @Test
    void shouldUseIdentifierAsBothPortsWhenQuoteIsAnEchoRequest()
    {
        final byte[] echo = TestFrames.ipv4(1, POD, SERVER, 1, TestFrames.icmpEcho(8, 0x4242, 7, new byte[16]));
        parse(icmpError(11, 0, quote(echo, 8)));
        assertTrue(meta.icmpErrorHasQuote);
        assertEquals(1, meta.quotedProtocol);
        assertEquals(8, meta.quotedIcmpType);
        assertEquals(0x4242, meta.quotedSourcePort);
        assertEquals(0x4242, meta.quotedDestinationPort);
        assertEquals(0, meta.icmpIdentifier, "the error's own identifier word is unused");
    }

    @Test
    void shouldReadQuotedTupleWhenQuotedHeaderHasOptions()
    {
        final byte[] plain = udpPacket();
        final byte[] withOptions = new byte[plain.length + 4];
        System.arraycopy(plain, 0, withOptions, 0, 20);
        System.arraycopy(plain, 20, withOptions, 24, plain.length - 20);
        withOptions[0] = 0x46;
        parse(icmpError(3, 3, quote(withOptions, 8)));
        assertTrue(meta.icmpErrorHasQuote);
        assertEquals(5353, meta.quotedSourcePort);
        assertEquals(53, meta.quotedDestinationPort);
    }

    @Test
    void shouldQuoteWithoutPortsWhenQuotedProtocolHasNone()
    {
        final byte[] gre = TestFrames.ipv4(47, POD, SERVER, 1, new byte[8]);
        parse(icmpError(3, 1, quote(gre, 8)));
        assertTrue(meta.icmpErrorHasQuote);
        assertEquals(47, meta.quotedProtocol);
        assertEquals(0, meta.quotedSourcePort);
        assertEquals(0, meta.quotedDestinationPort);
    }

    @Test
    void shouldHaveNoQuoteButParseWhenQuoteIsTruncatedOrGarbled()
    {
        final byte[] udp = udpPacket();
        parse(icmpError(3, 3, quote(udp, 3)));
        assertFalse(meta.icmpErrorHasQuote, "3 bytes of payload cannot hold both ports");
        parse(icmpError(3, 3, Arrays.copyOf(udp, 19)));
        assertFalse(meta.icmpErrorHasQuote, "half an IP header");
        parse(icmpError(3, 3, new byte[0]));
        assertFalse(meta.icmpErrorHasQuote, "nothing quoted");

        final byte[] version6 = quote(udp, 8);
        version6[0] = 0x65;
        parse(icmpError(3, 3, version6));
        assertFalse(meta.icmpErrorHasQuote, "not IPv4");

        final byte[] shortIhl = quote(udp, 8);
        shortIhl[0] = 0x44;
        parse(icmpError(3, 3, shortIhl));
        assertFalse(meta.icmpErrorHasQuote, "IHL below 5");

        final byte[] longIhl = quote(udp, 8);
        longIhl[0] = 0x4F;
        parse(icmpError(3, 3, longIhl));
        assertFalse(meta.icmpErrorHasQuote, "IHL reaches past the quote");

        final byte[] laterFragment = quote(udp, 8);
        TestFrames.putU16(laterFragment, 6, 0x0010);
        parse(icmpError(3, 3, laterFragment));
        assertFalse(meta.icmpErrorHasQuote, "a non-first fragment has no ports");

        final byte[] firstFragment = quote(udp, 8);
        TestFrames.putU16(firstFragment, 6, 0x2000);
        parse(icmpError(3, 3, firstFragment));
        assertTrue(meta.icmpErrorHasQuote, "the first fragment carries the ports");
    }

    @Test
    void shouldHaveNoQuoteWhenQuoteIsAnIcmpErrorOrAShortEcho()
    {
        final byte[] innerError = TestFrames.ipv4(1, POD, SERVER, 1, new byte[] {3, 3, 0, 0, 0, 0, 0, 0});
        parse(icmpError(3, 3, quote(innerError, 8)));
        assertFalse(meta.icmpErrorHasQuote);

        final byte[] echo = TestFrames.ipv4(1, POD, SERVER, 1, TestFrames.icmpEcho(8, 0x4242, 7, new byte[16]));
        parse(icmpError(11, 0, quote(echo, 4)));
        assertFalse(meta.icmpErrorHasQuote, "the identifier lies past the first 4 bytes");
    }

    @Test
    void shouldClearQuoteWhenNextFrameIsNotAnError()
    {
        parse(icmpError(3, 3, quote(udpPacket(), 8)));
        assertTrue(meta.icmpErrorHasQuote);
        final byte[] echo = TestFrames.ethernet(1, 2, 0x0800,
            TestFrames.ipv4(1, POD, SERVER, 64, TestFrames.icmpEcho(8, 9, 1, new byte[28])));
        parse(echo);
        assertFalse(meta.icmpErrorHasQuote, "an echo request quotes nothing");
        assertEquals(0, meta.quotedSource);
        assertEquals(0, meta.quotedDestination);
        assertEquals(0, meta.quotedProtocol);
        assertEquals(0, meta.quotedSourcePort);
        assertEquals(0, meta.quotedDestinationPort);
        assertEquals(0, meta.quotedIcmpType);
    }

    /**
     * Random damage to the quote (never to the outer headers, so the outer packet stays valid): the
     * parser must not throw, must accept the packet, and a quote it reports must agree with an
     * oracle reading the bytes directly.
     */
    @Test
    void shouldAgreeWithOracleWhenQuotesAreMutated()
    {
        final SplittableRandom random = new SplittableRandom(0x1C3F_2024L);
        final byte[][] seeds = {
            quote(udpPacket(), 8),
            quote(TestFrames.ipv4(6, POD, SERVER, 1, TestFrames.tcp(POD, SERVER, 1, 2, 0x12, new byte[0])), 8),
            quote(TestFrames.ipv4(1, POD, SERVER, 1, TestFrames.icmpEcho(0, 77, 1, new byte[4])), 8),
            quote(TestFrames.ipv4(132, POD, SERVER, 1, TestFrames.sctpInit(9, 10, 11)), 8),
        };
        int quoted = 0;
        for (int i = 0; i < 50_000; i++)
        {
            byte[] quote = seeds[random.nextInt(seeds.length)].clone();
            switch (random.nextInt(4))
            {
                case 0 -> quote = Arrays.copyOf(quote, random.nextInt(quote.length + 1));
                case 1 -> quote[random.nextInt(quote.length)] = (byte)random.nextInt(256);
                case 2 -> quote[0] = (byte)(0x40 | random.nextInt(16));
                default -> quote = Arrays.copyOf(quote, quote.length + random.nextInt(1, 30));
            }
            final byte[] frame = icmpError(new int[] {3, 4, 5, 11, 12}[random.nextInt(5)], 0, quote);
            try
            {
                parse(frame);
            }
            catch (final RuntimeException thrown)
            {
                fail(TestFrames.toHex(frame) + " threw " + thrown, thrown);
            }
            final long[] expected = oracle(frame);
            assertEquals(expected != null, meta.icmpErrorHasQuote, () -> TestFrames.toHex(frame));
            if (expected != null)
            {
                quoted++;
                assertEquals(expected[0], meta.quotedSource);
                assertEquals(expected[1], meta.quotedDestination);
                assertEquals(expected[2], meta.quotedProtocol);
                assertEquals(expected[3], meta.quotedSourcePort);
                assertEquals(expected[4], meta.quotedDestinationPort);
            }
        }
        assertTrue(quoted > 5_000 && quoted < 45_000, "both verdicts occur: " + quoted);
    }

    /** {source, destination, protocol, sourcePort, destinationPort} of the quote, or null. */
    private static long[] oracle(final byte[] frame)
    {
        final int quoteAt = ETH + 20 + 8;
        final int quoteLength = frame.length - quoteAt;
        if (quoteLength < 24)
        {
            return null;
        }
        final int ihl = (frame[quoteAt] & 0x0F) * 4;
        if ((frame[quoteAt] & 0xF0) != 0x40 || ihl < 20 || ihl + 4 > quoteLength
            || (u16(frame, quoteAt + 6) & 0x1FFF) != 0)
        {
            return null;
        }
        final int protocol = frame[quoteAt + 9] & 0xFF;
        final int l4 = quoteAt + ihl;
        long sourcePort = 0;
        long destinationPort = 0;
        if (protocol == 6 || protocol == 17 || protocol == 132)
        {
            sourcePort = u16(frame, l4);
            destinationPort = u16(frame, l4 + 2);
        }
        else if (protocol == 1)
        {
            final int type = frame[l4] & 0xFF;
            if (ihl + 8 > quoteLength || type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
            {
                return null;
            }
            sourcePort = u16(frame, l4 + 4);
            destinationPort = sourcePort;
        }
        final ByteBuffer bytes = ByteBuffer.wrap(frame);
        return new long[] {bytes.getInt(quoteAt + 12), bytes.getInt(quoteAt + 16), protocol, sourcePort, destinationPort};
    }
}
