package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;
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

    /** One's-complement sum of {@code length} bytes, not folded or inverted, added to {@code initial}. */
    public static long sum(final MemorySegment segment, final long offset, final int length, final long initial)
    {
        long sum = initial;
        int i = 0;
        for (; i + 4 <= length; i += 4)
        {
            sum += PacketBytes.getI32(segment, offset + i) & 0xFFFF_FFFFL;
        }
        if (i + 2 <= length)
        {
            sum += PacketBytes.getU16(segment, offset + i);
            i += 2;
        }
        if (i < length)
        {
            sum += PacketBytes.getU8(segment, offset + i) << 8;
        }
        return sum;
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
