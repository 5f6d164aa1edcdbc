package dev.podswitch.dataplane.packet;

import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.SplittableRandom;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.u16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes {@link FrameParser} (after OVS's flow_extract fuzz target): random bytes and random
 * mutations of valid frames of every kind. The parser must never throw, must agree with an
 * independent oracle written from the RFCs, and a frame it accepts must have every offset inside
 * the frame. Memory always ends where the frame ends, so an over-read is an exception.
 */
class FrameParserFuzzTest
{
    private static final long SEED = 0xF022_2024L;

    /** What the parser must answer for {@code frame}, derived field by field from the RFCs. */
    static DropReason oracle(final byte[] frame)
    {
        final int length = frame.length;
        if (length < ETH)
        {
            return DropReason.TRUNCATED_ETHERNET;
        }
        final int etherType = u16(frame, 12);
        if (etherType == 0x0806)
        {
            if (length - ETH < 28 || u16(frame, ETH) != 1 || u16(frame, ETH + 2) != 0x0800
                || (frame[ETH + 4] & 0xFF) != 6 || (frame[ETH + 5] & 0xFF) != 4)
            {
                return DropReason.MALFORMED_ARP;
            }
            final int operation = u16(frame, ETH + 6);
            return operation == 1 || operation == 2 ? null : DropReason.MALFORMED_ARP;
        }
        if (etherType != 0x0800)
        {
            return DropReason.UNKNOWN_ETHERTYPE;
        }
        final int l3Length = length - ETH;
        if (l3Length < 20)
        {
            return DropReason.TRUNCATED_IPV4;
        }
        if ((frame[ETH] & 0xF0) != 0x40)
        {
            return DropReason.BAD_IP_VERSION;
        }
        final int ihl = (frame[ETH] & 0x0F) * 4;
        if (ihl < 20 || ihl > l3Length)
        {
            return DropReason.BAD_IHL;
        }
        final int total = u16(frame, ETH + 2);
        if (total < ihl || total > l3Length)
        {
            return DropReason.BAD_IP_LENGTH;
        }
        if (TestFrames.naiveSum(frame, ETH, ihl, 0) != 0xFFFF)
        {
            return DropReason.BAD_IP_CHECKSUM;
        }
        if ((u16(frame, ETH + 6) & 0x3FFF) != 0)
        {
            return DropReason.IP_FRAGMENT;
        }
        final int l4 = ETH + ihl;
        final int l4Length = total - ihl;
        return switch (frame[ETH + 9] & 0xFF)
        {
            case 6 -> l4Length < 20 ? DropReason.TRUNCATED_L4
                : ((frame[l4 + 12] & 0xF0) >>> 2) < 20 || ((frame[l4 + 12] & 0xF0) >>> 2) > l4Length
                    ? DropReason.BAD_TCP_HEADER : null;
            case 17 -> l4Length < 8 ? DropReason.TRUNCATED_L4
                : u16(frame, l4 + 4) < 8 || u16(frame, l4 + 4) > l4Length ? DropReason.BAD_UDP_LENGTH : null;
            case 1 -> l4Length < 8 ? DropReason.TRUNCATED_L4 : null;
            case 132 -> l4Length < 16 ? DropReason.TRUNCATED_L4 : null;
            default -> null;
        };
    }

    /** Offsets and lengths of an accepted frame lie within [offset, offset + length). */
    static void assertMetaInsideFrame(final PacketMeta meta, final long offset, final int length)
    {
        final long end = offset + length;
        assertEquals(offset + ETH, meta.l3Offset);
        if (meta.isArp())
        {
            assertTrue(meta.l3Offset + 28 <= end);
            return;
        }
        assertTrue(meta.isIpv4());
        assertTrue(meta.l4Offset >= meta.l3Offset + 20, "l4 after a 20-byte header at least");
        assertTrue(meta.l4Length >= 0);
        assertTrue(meta.l4Offset + meta.l4Length <= end, "l4 inside the frame");
        assertEquals(meta.l3Offset + meta.ipTotalLength, meta.l4Offset + meta.l4Length);
    }

    @Test
    void shouldNeverThrowAndAgreeWithOracleWhenGivenRandomBytes()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final FrameParser parser = new FrameParser();
        final PacketMeta meta = new PacketMeta();
        for (int i = 0; i < 100_000; i++)
        {
            final byte[] frame = new byte[random.nextInt(0, 120)];
            random.nextBytes(frame);
            // Steer half the inputs past the first gates, or nothing deeper would ever be reached.
            if (frame.length >= ETH + 1 && random.nextBoolean())
            {
                TestFrames.putU16(frame, 12, random.nextInt(4) == 0 ? 0x0806 : 0x0800);
                frame[ETH] = (byte)(0x40 | random.nextInt(16));
                if (frame.length >= ETH + 20 && random.nextBoolean())
                {
                    TestFrames.putU16(frame, ETH + 2, random.nextInt(0, frame.length - ETH + 2));
                    frame[ETH + 9] = (byte)new int[] {1, 6, 17, 132, 47}[random.nextInt(5)];
                    TestFrames.putU16(frame, ETH + 6, random.nextInt(3) == 0 ? random.nextInt(0x10000) : 0x4000);
                    TestFrames.fixIpChecksum(frame);
                }
            }
            check(parser, meta, frame, "random " + i);
        }
    }

    @Test
    void shouldNeverThrowAndAgreeWithOracleWhenValidFramesAreMutated()
    {
        final SplittableRandom random = new SplittableRandom(SEED + 1);
        final FrameParser parser = new FrameParser();
        final PacketMeta meta = new PacketMeta();
        final List<MalformedFrames.Case> valid = MalformedFrames.validFrames(MalformedFrames.DEFAULT);
        for (int i = 0; i < 200_000; i++)
        {
            final byte[] original = valid.get(random.nextInt(valid.size())).frame();
            byte[] frame = original.clone();
            final int mutations = random.nextInt(1, 4);
            for (int m = 0; m < mutations && frame.length > 0; m++)
            {
                switch (random.nextInt(5))
                {
                    case 0 -> frame[random.nextInt(frame.length)] ^= (byte)(1 << random.nextInt(8));
                    case 1 -> frame = Arrays.copyOf(frame, random.nextInt(frame.length + 1));
                    case 2 -> frame[random.nextInt(frame.length)] = (byte)random.nextInt(256);
                    case 3 -> frame = Arrays.copyOf(frame, frame.length + random.nextInt(1, 40));
                    default ->
                    {
                        // Mutate a header byte (IP or L4), where the interesting checks are.
                        final int at = ETH + random.nextInt(Math.min(48, Math.max(1, frame.length - ETH)));
                        if (at < frame.length)
                        {
                            frame[at] = (byte)random.nextInt(256);
                        }
                    }
                }
            }
            if (frame.length >= ETH + 20 && u16(frame, 12) == 0x0800 && random.nextInt(4) != 0)
            {
                TestFrames.fixIpChecksum(frame);
            }
            check(parser, meta, frame, "mutation " + i + " of " + TestFrames.toHex(original));
        }
    }

    private final EnumMap<DropReason, Integer> seen = new EnumMap<>(DropReason.class);
    private int accepted;

    @AfterEach
    void shouldHaveReachedEveryVerdictWhenFuzzing()
    {
        // A fuzzer that never gets past the first check tests nothing: every parser verdict must occur.
        assertTrue(accepted > 500, "accepted " + accepted);
        assertEquals(12, seen.size(), seen.toString());
    }

    private void check(final FrameParser parser, final PacketMeta meta, final byte[] frame, final String what)
    {
        final DropReason reason;
        try
        {
            reason = parser.parse(MemorySegment.ofArray(frame), 0, frame.length, meta);
        }
        catch (final RuntimeException thrown)
        {
            fail(what + ": " + TestFrames.toHex(frame) + " threw " + thrown, thrown);
            return;
        }
        assertEquals(oracle(frame), reason, () -> what + ": " + TestFrames.toHex(frame));
        if (reason == null)
        {
            accepted++;
            assertMetaInsideFrame(meta, 0, frame.length);
        }
        else
        {
            seen.merge(reason, 1, Integer::sum);
        }
    }
}
