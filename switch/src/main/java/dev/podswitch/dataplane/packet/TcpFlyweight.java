package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * TCP header (RFC 9293), options included in {@link #headerLength()}.
 * <pre>
 *  0           2           4                8                12     13     14       16         18        20
 * +-----------+-----------+----------------+----------------+------+------+--------+----------+---------+
 * | src port  | dst port  | sequence       | acknowledgment | off  | flags| window | checksum | urgent  |
 * +-----------+-----------+----------------+----------------+------+------+--------+----------+---------+
 * </pre>
 */
public final class TcpFlyweight
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_OFFSET = 18;
    public static final int MIN_HEADER_LENGTH = 20;

    public static final int FLAG_FIN = 0x01;
    public static final int FLAG_SYN = 0x02;
    public static final int FLAG_RST = 0x04;
    public static final int FLAG_PSH = 0x08;
    public static final int FLAG_ACK = 0x10;

    private MemorySegment segment;
    private long offset;

    public TcpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Writes a 20-byte header with no options; the checksum is left for {@link #updateChecksum}. */
    public TcpFlyweight init(final int sourcePort, final int destinationPort, final int sequence,
        final int acknowledgment, final int flags)
    {
        PacketBytes.putU16(segment, offset + SOURCE_PORT_OFFSET, sourcePort);
        PacketBytes.putU16(segment, offset + DESTINATION_PORT_OFFSET, destinationPort);
        PacketBytes.putI32(segment, offset + SEQUENCE_OFFSET, sequence);
        PacketBytes.putI32(segment, offset + ACKNOWLEDGMENT_OFFSET, acknowledgment);
        PacketBytes.putU8(segment, offset + DATA_OFFSET_OFFSET, (MIN_HEADER_LENGTH / 4) << 4);
        PacketBytes.putU8(segment, offset + FLAGS_OFFSET, flags);
        PacketBytes.putU16(segment, offset + WINDOW_OFFSET, 64240);
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, 0);
        PacketBytes.putU16(segment, offset + URGENT_OFFSET, 0);
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

    public int sequence()
    {
        return PacketBytes.getI32(segment, offset + SEQUENCE_OFFSET);
    }

    public int acknowledgment()
    {
        return PacketBytes.getI32(segment, offset + ACKNOWLEDGMENT_OFFSET);
    }

    public int headerLength()
    {
        return (PacketBytes.getU8(segment, offset + DATA_OFFSET_OFFSET) >>> 4) * 4;
    }

    public int flags()
    {
        return PacketBytes.getU8(segment, offset + FLAGS_OFFSET);
    }

    public int checksum()
    {
        return PacketBytes.getU16(segment, offset + CHECKSUM_OFFSET);
    }

    /** Checksum over pseudo-header, header and payload ({@code tcpLength} bytes from the header). */
    public TcpFlyweight updateChecksum(final int sourceIp, final int destinationIp, final int tcpLength)
    {
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, 0);
        final long pseudo = Checksums.pseudoHeaderSum(sourceIp, destinationIp, IpProtocol.TCP.number(), tcpLength);
        PacketBytes.putU16(segment, offset + CHECKSUM_OFFSET, Checksums.fold(Checksums.sum(segment, offset, tcpLength, pseudo)));
        return this;
    }

    public boolean isChecksumValid(final int sourceIp, final int destinationIp, final int tcpLength)
    {
        final long pseudo = Checksums.pseudoHeaderSum(sourceIp, destinationIp, IpProtocol.TCP.number(), tcpLength);
        return Checksums.fold(Checksums.sum(segment, offset, tcpLength, pseudo)) == 0;
    }
}
