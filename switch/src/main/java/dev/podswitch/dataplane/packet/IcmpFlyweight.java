package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * ICMP header (RFC 792). Echo messages carry identifier and sequence in the second word;
 * destination-unreachable messages carry the offending IP header and 8 bytes after it.
 * <pre>
 *  0      1      2          4            6          8
 * +------+------+----------+------------+----------+
 * | type | code | checksum | identifier | sequence |
 * +------+------+----------+------------+----------+
 * </pre>
 */
public final class IcmpFlyweight
{
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int CODE_PORT_UNREACHABLE = 3;

    private MemorySegment segment;
    private long offset;

    public IcmpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int type()
    {
        return PacketBytes.getU8(segment, offset + TYPE_OFFSET);
    }

    public IcmpFlyweight type(final int type)
    {
        PacketBytes.putU8(segment, offset + TYPE_OFFSET, type);
        return this;
    }

    public int code()
    {
        return PacketBytes.getU8(segment, offset + CODE_OFFSET);
    }

    public IcmpFlyweight code(final int code)
    {
        PacketBytes.putU8(segment, offset + CODE_OFFSET, code);
        return this;
    }

    public int checksum()
    {
        return PacketBytes.getU16(segment, offset + CHECKSUM_OFFSET);
    }

    public int identifier()
    {
        return PacketBytes.getU16(segment, offset + IDENTIFIER_OFFSET);
    }

    public IcmpFlyweight identifier(final int identifier)
    {
        PacketBytes.putU16(segment, offset + IDENTIFIER_OFFSET, identifier);
        return this;
    }

    public int sequence()
    {
        return PacketBytes.getU16(segment, offset + SEQUENCE_OFFSET);
    }

    public IcmpFlyweight sequence(final int sequence)
    {
        PacketBytes.putU16(segment, offset + SEQUENCE_OFFSET, sequence);
        return this;
    }

    /** Whether this type carries an embedded IP header (an error about another packet). */
    public boolean isError()
    {
        final int type = type();
        return type == TYPE_DESTINATION_UNREACHABLE || type == TYPE_TIME_EXCEEDED || type == 4 || type == 5
            || type == 12;
    }

    /** The checksum covers the ICMP header and all its data ({@code length} bytes). */
    public IcmpFlyweight updateChecksum(final int length)
    {
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, 0);
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, Checksums.internet(segment, offset, length));
        return this;
    }

    public boolean isChecksumValid(final int length)
    {
        return Checksums.internet(segment, offset, length) == 0;
    }

    public long payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }
}
