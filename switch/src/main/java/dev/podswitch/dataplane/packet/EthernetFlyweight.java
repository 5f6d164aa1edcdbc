package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * Ethernet II header.
 * <pre>
 *  0                   6                   12      14
 * +-------------------+-------------------+-------+
 * | destination MAC   | source MAC        | type  |
 * +-------------------+-------------------+-------+
 * </pre>
 */
public final class EthernetFlyweight
{
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;

    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;

    private MemorySegment segment;
    private long offset;

    public EthernetFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public long destinationMac()
    {
        return PacketBytes.getMac(segment, offset + DESTINATION_OFFSET);
    }

    public EthernetFlyweight destinationMac(final long mac)
    {
        PacketBytes.putMac(segment, offset + DESTINATION_OFFSET, mac);
        return this;
    }

    public long sourceMac()
    {
        return PacketBytes.getMac(segment, offset + SOURCE_OFFSET);
    }

    public EthernetFlyweight sourceMac(final long mac)
    {
        PacketBytes.putMac(segment, offset + SOURCE_OFFSET, mac);
        return this;
    }

    public int etherType()
    {
        return PacketBytes.getU16(segment, offset + ETHER_TYPE_OFFSET);
    }

    public EthernetFlyweight etherType(final int etherType)
    {
        PacketBytes.putU16(segment, offset + ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    public long payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }
}
