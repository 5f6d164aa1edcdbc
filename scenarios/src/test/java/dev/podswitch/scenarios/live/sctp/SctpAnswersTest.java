package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.SctpFlyweight;
import dev.podswitch.scenarios.live.sctp.SctpCounters.Count;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Random;
import java.util.Set;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The userspace responder's answers, without sockets: packets as a raw socket delivers them
 * (IPv4 header first) go in, the answer (or nothing, counted by reason) comes out.
 */
class SctpAnswersTest
{
    private static final int PROBER = 0x0AF4_0102;     // 10.244.1.2
    private static final int RESPONDER = 0x0AF4_0003;  // 10.244.0.3
    private static final int SERVED = 3868;
    private static final int OWN_TAG = 0x5EED_0001;
    private static final byte[] KEY = new byte[32];

    private final SctpCounters counters = new SctpCounters();
    private final SctpAnswers answers = new SctpAnswers(Set.of(SERVED), KEY, () -> OWN_TAG, counters);
    private final MemorySegment packet = Arena.ofAuto().allocate(512);
    private final SctpWriter writer = new SctpWriter();

    /** An IPv4 header from PROBER to RESPONDER, then {@code sctpLength} bytes copied from the writer's buffer. */
    private int ipPacket(final int sctpLength)
    {
        MemorySegment.copy(writer.buffer(), 0, packet, Ipv4Flyweight.MIN_HEADER_LENGTH, sctpLength);
        new Ipv4Flyweight().wrap(packet, 0).init(IpProtocol.SCTP.number(), PROBER, RESPONDER, sctpLength, 1);
        return Ipv4Flyweight.MIN_HEADER_LENGTH + sctpLength;
    }

    private InboundSctp readAnswer(final SctpAnswers.Reply reply)
    {
        assertNotNull(reply, "an answer");
        assertEquals(PROBER, reply.destinationIp(), "back to the source the INIT came from");
        final MemorySegment answer = Arena.ofAuto().allocate(Ipv4Flyweight.MIN_HEADER_LENGTH + reply.length());
        MemorySegment.copy(answers.buffer(), 0, answer, Ipv4Flyweight.MIN_HEADER_LENGTH, reply.length());
        new Ipv4Flyweight().wrap(answer, 0).init(IpProtocol.SCTP.number(), RESPONDER, PROBER, reply.length(), 2);
        final SctpReader reader = new SctpReader();
        final InboundSctp read = reader.read(answer, (int)answer.byteSize());
        assertNotNull(read, () -> "the answer reads back (checksum and lengths right): " + reader.problem());
        return read;
    }

    @Test
    void shouldAnswerAnInitToAServedPortWithAnInitAckAndASignedCookieHoldingTheSourceSeen()
    {
        final InboundSctp initAck = readAnswer(answers.answer(packet, ipPacket(writer.init(40_000, SERVED, 0xCAFE))));

        assertEquals(SctpFlyweight.CHUNK_INIT_ACK, initAck.chunkType());
        assertEquals(0xCAFE, initAck.verificationTag(), "tagged with the INIT's initiate tag");
        assertEquals(OWN_TAG, initAck.initiateTag());
        assertEquals(SERVED, initAck.sourcePort());
        assertEquals(40_000, initAck.destinationPort());
        final StateCookie cookie = StateCookie.verify(initAck.cookie(), KEY);
        assertEquals(new StateCookie(PROBER, RESPONDER, 40_000, SERVED, 0xCAFE, OWN_TAG), cookie);
        assertEquals(1, counters.get(Count.INIT_ACK_SENT));
        assertTrue(counters.isBalanced());
    }

    @Test
    void shouldAnswerAnInitToAnyOtherPortWithAnAbortCarryingTheInitiateTagTBitClear()
    {
        final InboundSctp abort = readAnswer(answers.answer(packet, ipPacket(writer.init(40_001, 80, 0xBEEF))));

        assertEquals(SctpFlyweight.CHUNK_ABORT, abort.chunkType());
        assertEquals(0xBEEF, abort.verificationTag());
        assertEquals(0, abort.chunkFlags() & SctpFlyweight.ABORT_FLAG_TAG_REFLECTED);
        assertEquals(1, counters.get(Count.ABORT_SENT));
    }

    @Test
    void shouldAnswerACookieEchoWithOneOfItsCookiesWithACookieAckAndIgnoreAForgedOne()
    {
        final InboundSctp initAck = readAnswer(answers.answer(packet, ipPacket(writer.init(40_002, SERVED, 0xC0C0))));
        final byte[] cookie = initAck.cookie();

        final InboundSctp cookieAck = readAnswer(answers.answer(packet, ipPacket(cookieEcho(40_002, OWN_TAG, cookie))));
        assertEquals(SctpChunks.COOKIE_ACK, cookieAck.chunkType());
        assertEquals(0xC0C0, cookieAck.verificationTag(), "tagged with the peer's tag from the cookie");

        final byte[] forged = cookie.clone();
        forged[5] ^= 1; // another source IP seen: the MAC no longer matches
        assertNull(answers.answer(packet, ipPacket(cookieEcho(40_002, OWN_TAG, forged))));
        assertNull(answers.answer(packet, ipPacket(cookieEcho(40_002, OWN_TAG + 1, cookie))), "wrong verification tag");
        assertNull(answers.answer(packet, ipPacket(cookieEcho(40_003, OWN_TAG, cookie))), "another association's port");
        assertEquals(3, counters.get(Count.IGNORED_BAD_COOKIE));
        assertEquals(1, counters.get(Count.COOKIE_ACK_SENT));
        assertTrue(counters.isBalanced());
    }

    /** A COOKIE ECHO chunk (type 10) whose value is the cookie, into the writer's buffer; returns its length. */
    private int cookieEcho(final int sourcePort, final int tag, final byte[] cookie)
    {
        final MemorySegment buffer = writer.buffer();
        new SctpFlyweight().wrap(buffer, 0).initCommonHeader(sourcePort, SERVED, tag);
        PacketBytes.putU8(buffer, SctpFlyweight.CHUNK_TYPE_OFFSET, SctpChunks.COOKIE_ECHO);
        PacketBytes.putU8(buffer, SctpFlyweight.CHUNK_FLAGS_OFFSET, 0);
        PacketBytes.putU16(buffer, SctpFlyweight.CHUNK_LENGTH_OFFSET, 4 + cookie.length);
        MemorySegment.copy(MemorySegment.ofArray(cookie), 0, buffer, 16, cookie.length);
        final int length = 16 + cookie.length;
        new SctpFlyweight().wrap(buffer, 0).updateChecksum(length);
        return length;
    }

    @Test
    void shouldIgnoreRepliesAndOtherChunksWithoutAnswering()
    {
        assertNull(answers.answer(packet, ipPacket(writer.abort(SERVED, 40_000, 0x1234, false))));
        assertNull(answers.answer(packet, ipPacket(writer.initAck(SERVED, 40_000, 0x1234, 0x4321, new byte[8]))));
        assertEquals(2, counters.get(Count.IGNORED_NOT_A_REQUEST));
    }

    /** A fresh INIT from 40000 to the served port with initiate tag 0x1111, changed by {@code edit} (given and returning the SCTP length), CRC32c recomputed. */
    private int initEdited(final IntUnaryOperator edit)
    {
        final int length = edit.applyAsInt(writer.init(40_000, SERVED, 0x1111));
        new SctpFlyweight().wrap(writer.buffer(), 0).updateChecksum(length);
        return ipPacket(length);
    }

    @Test
    void shouldIgnoreAndCountEveryMalformedPacketWithoutThrowing()
    {
        final int valid = ipPacket(writer.init(40_000, SERVED, 0x1111));
        PacketBytes.putU8(packet, Ipv4Flyweight.MIN_HEADER_LENGTH + SctpFlyweight.CHECKSUM_OFFSET,
            PacketBytes.getU8(packet, Ipv4Flyweight.MIN_HEADER_LENGTH + SctpFlyweight.CHECKSUM_OFFSET) ^ 0xFF);
        assertIgnored(answers.answer(packet, valid), Count.IGNORED_BAD_CHECKSUM, "a wrong CRC32c");

        assertIgnored(answers.answer(packet, 19), Count.IGNORED_TRUNCATED, "shorter than an IPv4 header");
        assertIgnored(answers.answer(packet, initEdited(length -> 12)), Count.IGNORED_TRUNCATED, "no chunk");
        assertIgnored(answers.answer(packet, ipPacket(writer.init(40_000, SERVED, 0x1111)) - 4), Count.IGNORED_TRUNCATED,
            "cut short of the IP total length");
        assertIgnored(answers.answer(packet, initEdited(length ->
        {
            PacketBytes.putU16(writer.buffer(), SctpFlyweight.CHUNK_LENGTH_OFFSET, 200);
            return length;
        })), Count.IGNORED_TRUNCATED, "a chunk longer than the packet");

        assertIgnored(answers.answer(packet, initEdited(length ->
        {
            PacketBytes.putU16(writer.buffer(), SctpFlyweight.CHUNK_LENGTH_OFFSET, 2);
            return length;
        })), Count.IGNORED_MALFORMED, "a chunk shorter than its header");
        assertIgnored(answers.answer(packet, initEdited(length ->
        {
            PacketBytes.putU16(writer.buffer(), SctpFlyweight.CHUNK_LENGTH_OFFSET, 12);
            return 24;
        })), Count.IGNORED_MALFORMED, "an INIT shorter than its fixed part");
        assertIgnored(answers.answer(packet, initEdited(length ->
        {
            PacketBytes.putI32(writer.buffer(), SctpFlyweight.VERIFICATION_TAG_OFFSET, 99);
            return length;
        })), Count.IGNORED_MALFORMED, "an INIT must carry verification tag 0");
        assertIgnored(answers.answer(packet, initEdited(length ->
        {
            PacketBytes.putI32(writer.buffer(), SctpFlyweight.INITIATE_TAG_OFFSET, 0);
            return length;
        })), Count.IGNORED_MALFORMED, "initiate tag 0");
        assertIgnored(answers.answer(packet, initEdited(length ->
        {
            writer.buffer().asSlice(length, 8).fill((byte)0);
            PacketBytes.putU8(writer.buffer(), length, 0x80);   // an unknown chunk type
            PacketBytes.putU16(writer.buffer(), length + 2, 8);
            return length + 8;
        })), Count.IGNORED_MALFORMED, "an INIT bundled with another chunk");
        final int initAck = writer.initAck(SERVED, 40_000, 0x1234, 0x4321, new byte[8]);
        PacketBytes.putU16(writer.buffer(), SctpFlyweight.COMMON_HEADER_LENGTH + SctpFlyweight.INIT_CHUNK_LENGTH + 2, 100);
        new SctpFlyweight().wrap(writer.buffer(), 0).updateChecksum(initAck);
        assertIgnored(answers.answer(packet, ipPacket(initAck)), Count.IGNORED_MALFORMED,
            "an INIT ACK whose cookie parameter runs past its chunk");

        final int sctp = ipPacket(writer.init(40_000, SERVED, 0x1111));
        PacketBytes.putU8(packet, Ipv4Flyweight.PROTOCOL_OFFSET, 17);
        assertIgnored(answers.answer(packet, sctp), Count.IGNORED_BAD_IP_HEADER, "not protocol 132");
        ipPacket(writer.init(40_000, SERVED, 0x1111));
        PacketBytes.putU8(packet, Ipv4Flyweight.VERSION_IHL_OFFSET, 0x65);
        assertIgnored(answers.answer(packet, sctp), Count.IGNORED_BAD_IP_HEADER, "not IPv4");
        ipPacket(writer.init(40_000, SERVED, 0x1111));
        PacketBytes.putU16(packet, Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET, Ipv4Flyweight.FLAG_MORE_FRAGMENTS);
        assertIgnored(answers.answer(packet, sctp), Count.IGNORED_BAD_IP_HEADER, "a fragment");

        assertEquals(0, counters.get(Count.INIT_ACK_SENT) + counters.get(Count.ABORT_SENT));
        assertTrue(counters.isBalanced(), counters.toString());
        assertNotNull(answers.answer(packet, ipPacket(writer.init(40_000, SERVED, 0x1111))), "still answering");
    }

    private final EnumMap<Count, Long> ignoredSoFar = new EnumMap<>(Count.class);

    private void assertIgnored(final SctpAnswers.Reply reply, final Count why, final String what)
    {
        assertNull(reply, what + ": no answer");
        final long expected = ignoredSoFar.merge(why, 1L, Long::sum);
        assertEquals(expected, counters.get(why), what + ": counted as " + why + " in " + counters);
    }

    @Test
    void shouldSurviveRandomBytesAndTruncationsOfValidPacketsCountingEachOnce()
    {
        final Random random = new Random(42);
        final int valid = ipPacket(writer.initAck(SERVED, 40_000, 0x1234, 0x4321, new byte[32]));
        // Flips land anywhere, the IPv4 header included: whatever a raw socket delivers must be survived.
        final byte[] template = packet.asSlice(0, valid).toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < 20_000; i++)
        {
            MemorySegment.copy(MemorySegment.ofArray(template), 0, packet, 0, template.length);
            final int flips = random.nextInt(4);
            for (int f = 0; f < flips; f++)
            {
                PacketBytes.putU8(packet, random.nextInt(valid), random.nextInt(256));
            }
            if (random.nextBoolean())
            {
                // A right CRC32c over the changed bytes, so the chunk and parameter checks behind it are reached.
                new SctpFlyweight().wrap(packet, Ipv4Flyweight.MIN_HEADER_LENGTH)
                    .updateChecksum(valid - Ipv4Flyweight.MIN_HEADER_LENGTH);
            }
            if (random.nextInt(10) == 0)
            {
                packet.asSlice(0, 512).fill((byte)random.nextInt(256));
            }
            answers.answer(packet, random.nextInt(valid + 1));
        }
        assertEquals(20_000, counters.get(Count.RECEIVED));
        assertEquals(0, counters.get(Count.INTERNAL_ERROR));
        assertTrue(counters.isBalanced(), counters.toString());
    }

    @Test
    void shouldReadACookieBackAndRefuseOneWithAnotherKeyOrLength()
    {
        final StateCookie cookie = new StateCookie(PROBER, RESPONDER, 40_000, SERVED, 1, 2);
        final byte[] bytes = cookie.encode(KEY);
        assertEquals(StateCookie.LENGTH, bytes.length);
        assertEquals(cookie, StateCookie.verify(bytes, KEY));
        assertEquals(cookie, StateCookie.read(bytes));
        final byte[] otherKey = KEY.clone();
        otherKey[0] = 1;
        assertNull(StateCookie.verify(bytes, otherKey));
        assertNull(StateCookie.read(new byte[8]), "the emulated endpoint's 8-byte placeholder is not ours");
        assertArrayEquals(bytes, cookie.encode(KEY));
    }
}
