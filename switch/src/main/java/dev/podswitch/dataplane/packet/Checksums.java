package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The Internet checksum (RFC 1071) with its pseudo-header for TCP and UDP, incremental update
 * (RFC 1624) for TTL changes, and CRC32c for SCTP (RFC 4960 appendix B).
 */
public final class Checksums
{
    private Checksums()
    {
    }

    /** Eight bytes at a time in the machine's order (little-endian on x86_64); see {@link #sum}. */
    private static final ValueLayout.OfLong WORDS = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF_WORDS =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * One's-complement sum of {@code length} bytes, not folded or inverted, added to {@code initial}.
     *
     * <p>Read eight bytes at a time in little-endian order: RFC 1071 §2(B) — the sum of
     * byte-swapped 16-bit words is the byte-swapped sum — so summing the 32-bit halves of
     * little-endian longs, folding to 16 bits and swapping the two bytes once gives the big-endian
     * sum, at a quarter of the loads of a 16-bit loop. The 64-bit accumulator holds 2^31 halves
     * before it could carry out: far more than any IPv4 packet has.
     */
    public static long sum(final MemorySegment segment, final long offset, final int length, final long initial)
    {
        long accumulator = 0;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            final long word = segment.get(WORDS, offset + i);
            accumulator += (word & 0xFFFF_FFFFL) + (word >>> 32);
        }
        for (; i + 2 <= length; i += 2)
        {
            accumulator += segment.get(HALF_WORDS, offset + i) & 0xFFFF;
        }
        if (i < length)
        {
            // An odd last byte is the high byte of its word in network order: the low one here.
            accumulator += segment.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF;
        }
        while ((accumulator >>> 16) != 0)
        {
            accumulator = (accumulator & 0xFFFF) + (accumulator >>> 16);
        }
        return initial + (((accumulator & 0xFF) << 8) | (accumulator >>> 8));
    }

    /** Folds a running sum to 16 bits and inverts it: the value that goes into the header. */
    public static int fold(final long sum)
    {
        long folded = sum;
        while ((folded >>> 16) != 0)
        {
            folded = (folded & 0xFFFF) + (folded >>> 16);
        }
        return (int)(~folded & 0xFFFF);
    }

    public static int internet(final MemorySegment segment, final long offset, final int length)
    {
        return fold(sum(segment, offset, length, 0));
    }

    /** The IPv4 pseudo-header sum for TCP, UDP (RFC 793, RFC 768). */
    public static long pseudoHeaderSum(final int sourceIp, final int destinationIp, final int protocol, final int l4Length)
    {
        return (sourceIp >>> 16) + (sourceIp & 0xFFFF) + (destinationIp >>> 16) + (destinationIp & 0xFFFF)
            + protocol + l4Length;
    }

    /** RFC 1624 eqn. 3: a checksum after one 16-bit word changed from {@code oldWord} to {@code newWord}. */
    public static int update(final int checksum, final int oldWord, final int newWord)
    {
        long sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return fold(sum);
    }

    /**
     * CRC32c over a range, as SCTP wants it (the result goes into the header in little-endian
     * order, see {@link SctpFlyweight}). Allocates a ByteBuffer view: endpoints use it, the
     * switch's forwarding path never does.
     */
    public static int crc32c(final MemorySegment segment, final long offset, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return (int)crc.getValue();
    }
}
