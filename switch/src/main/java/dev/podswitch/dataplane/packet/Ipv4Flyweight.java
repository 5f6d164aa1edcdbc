package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * IPv4 header (RFC 791), options included in {@link #headerLength()}.
 * <pre>
 *  0       1       2               4               6               8       9       10      12      16      20
 * +---+---+-------+---------------+---------------+---------------+-------+-------+-------+-------+-------+
 * |ver|ihl|  tos  | total length  | identification| flags+fragoff |  ttl  | proto | csum  |  src  |  dst  |
 * +---+---+-------+---------------+---------------+---------------+-------+-------+-------+-------+-------+
 * </pre>
 */
public final class Ipv4Flyweight
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    public static final int MIN_HEADER_LENGTH = 20;

    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
    public static final int DEFAULT_TTL = 64;

    private MemorySegment segment;
    private long offset;

    public Ipv4Flyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Writes a 20-byte header with no options, DF set, and a correct checksum last. */
    public Ipv4Flyweight init(final int protocol, final int sourceIp, final int destinationIp, final int payloadLength,
        final int identification)
    {
        PacketBytes.putU8(segment, offset + VERSION_IHL_OFFSET, 0x45);
        PacketBytes.putU8(segment, offset + TOS_OFFSET, 0);
        PacketBytes.putU16(segment, offset + TOTAL_LENGTH_OFFSET, MIN_HEADER_LENGTH + payloadLength);
        PacketBytes.putU16(segment, offset + IDENTIFICATION_OFFSET, identification);
        PacketBytes.putU16(segment, offset + FLAGS_FRAGMENT_OFFSET, FLAG_DONT_FRAGMENT);
        PacketBytes.putU8(segment, offset + TTL_OFFSET, DEFAULT_TTL);
        PacketBytes.putU8(segment, offset + PROTOCOL_OFFSET, protocol);
        PacketBytes.putI32(segment, offset + SOURCE_OFFSET, sourceIp);
        PacketBytes.putI32(segment, offset + DESTINATION_OFFSET, destinationIp);
        updateChecksum();
        return this;
    }

    public int version()
    {
        return PacketBytes.getU8(segment, offset + VERSION_IHL_OFFSET) >>> 4;
    }

    /** Header length in bytes (IHL × 4), options included. */
    public int headerLength()
    {
        return (PacketBytes.getU8(segment, offset + VERSION_IHL_OFFSET) & 0x0F) * 4;
    }

    public int totalLength()
    {
        return PacketBytes.getU16(segment, offset + TOTAL_LENGTH_OFFSET);
    }

    public int identification()
    {
        return PacketBytes.getU16(segment, offset + IDENTIFICATION_OFFSET);
    }

    /** Whether this is a fragment: more-fragments set or a non-zero fragment offset. */
    public boolean isFragment()
    {
        final int flagsAndOffset = PacketBytes.getU16(segment, offset + FLAGS_FRAGMENT_OFFSET);
        return (flagsAndOffset & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    /** The fragment offset in bytes (the header field counts 8-byte units). */
    public int fragmentOffsetBytes()
    {
        return (PacketBytes.getU16(segment, offset + FLAGS_FRAGMENT_OFFSET) & FRAGMENT_OFFSET_MASK) * 8;
    }

    /** Whether the more-fragments flag is set: another fragment follows this one's payload. */
    public boolean moreFragments()
    {
        return (PacketBytes.getU16(segment, offset + FLAGS_FRAGMENT_OFFSET) & FLAG_MORE_FRAGMENTS) != 0;
    }

    public int ttl()
    {
        return PacketBytes.getU8(segment, offset + TTL_OFFSET);
    }

    /** Decrements the TTL and patches the checksum incrementally (RFC 1624), as a router hop does. */
    public void decrementTtl()
    {
        final int oldWord = PacketBytes.getU16(segment, offset + TTL_OFFSET);
        final int newWord = oldWord - 0x0100;
        PacketBytes.putU16(segment, offset + TTL_OFFSET, newWord);
        checksum(Checksums.update(checksum(), oldWord, newWord));
    }

    public int protocol()
    {
        return PacketBytes.getU8(segment, offset + PROTOCOL_OFFSET);
    }

    public int checksum()
    {
        return PacketBytes.getU16(segment, offset + CHECKSUM_OFFSET);
    }

    public Ipv4Flyweight checksum(final int checksum)
    {
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** Whether the header (options included) sums to zero, as a correct header does. */
    public boolean isChecksumValid()
    {
        return Checksums.internet(segment, offset, headerLength()) == 0;
    }

    public Ipv4Flyweight updateChecksum()
    {
        checksum(0);
        return checksum(Checksums.internet(segment, offset, headerLength()));
    }

    public int sourceIp()
    {
        return PacketBytes.getI32(segment, offset + SOURCE_OFFSET);
    }

    public Ipv4Flyweight sourceIp(final int ip)
    {
        PacketBytes.putI32(segment, offset + SOURCE_OFFSET, ip);
        return this;
    }

    public int destinationIp()
    {
        return PacketBytes.getI32(segment, offset + DESTINATION_OFFSET);
    }

    public Ipv4Flyweight destinationIp(final int ip)
    {
        PacketBytes.putI32(segment, offset + DESTINATION_OFFSET, ip);
        return this;
    }

    public long payloadOffset()
    {
        return offset + headerLength();
    }
}
