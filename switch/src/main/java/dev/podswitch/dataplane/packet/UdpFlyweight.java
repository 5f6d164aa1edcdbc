package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * UDP header (RFC 768).
 * <pre>
 *  0          2          4        6          8
 * +----------+----------+--------+----------+
 * | src port | dst port | length | checksum |
 * +----------+----------+--------+----------+
 * </pre>
 */
public final class UdpFlyweight
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    private MemorySegment segment;
    private long offset;

    public UdpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Writes the header for {@code payloadLength} bytes of data; checksum left for {@link #updateChecksum}. */
    public UdpFlyweight init(final int sourcePort, final int destinationPort, final int payloadLength)
    {
        PacketBytes.putU16(segment, offset + SOURCE_PORT_OFFSET, sourcePort);
        PacketBytes.putU16(segment, offset + DESTINATION_PORT_OFFSET, destinationPort);
        PacketBytes.putU16(segment, offset + LENGTH_OFFSET, HEADER_LENGTH + payloadLength);
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, 0);
        return this;
    }

    public int sourcePort()
    {
        return PacketBytes.getU16(segment, offset + SOURCE_PORT_OFFSET);
    }

    public int destinationPort()
    {
        return PacketBytes.getU16(segment, offset + DESTINATION_PORT_OFFSET);
    }

    public int length()
    {
        return PacketBytes.getU16(segment, offset + LENGTH_OFFSET);
    }

    public int checksum()
    {
        return PacketBytes.getU16(segment, offset + CHECKSUM_OFFSET);
    }

    /** A computed checksum of 0 is sent as 0xFFFF: 0 means "no checksum" in UDP over IPv4. */
    public UdpFlyweight updateChecksum(final int sourceIp, final int destinationIp)
    {
        final int udpLength = length();
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, 0);
        final long pseudo = Checksums.pseudoHeaderSum(sourceIp, destinationIp, IpProtocol.UDP.number(), udpLength);
        final int checksum = Checksums.fold(Checksums.sum(segment, offset, udpLength, pseudo));
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, checksum == 0 ? 0xFFFF : checksum);
        return this;
    }

    public boolean isChecksumValid(final int sourceIp, final int destinationIp)
    {
        if (checksum() == 0)
        {
            return true;
        }
        final int udpLength = length();
        final long pseudo = Checksums.pseudoHeaderSum(sourceIp, destinationIp, IpProtocol.UDP.number(), udpLength);
        return Checksums.fold(Checksums.sum(segment, offset, udpLength, pseudo)) == 0;
    }

    public long payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }
}
