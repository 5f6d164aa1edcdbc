package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * ARP for Ethernet and IPv4 (RFC 826).
 * <pre>
 *  0       2       4   5   6       8             14      18            24      28
 * +-------+-------+---+---+-------+-------------+-------+-------------+-------+
 * | htype | ptype |hln|pln| oper  | sender MAC  | s. IP | target MAC  | t. IP |
 * +-------+-------+---+---+-------+-------------+-------+-------------+-------+
 * </pre>
 */
public final class ArpFlyweight
{
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_MAC_OFFSET = 8;
    public static final int SENDER_IP_OFFSET = 14;
    public static final int TARGET_MAC_OFFSET = 18;
    public static final int TARGET_IP_OFFSET = 24;
    public static final int LENGTH = 28;

    public static final int HARDWARE_TYPE_ETHERNET = 1;
    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_REPLY = 2;

    private MemorySegment segment;
    private long offset;

    public ArpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Whether the fixed fields say Ethernet/IPv4, the only kind a pod network carries. */
    public boolean isEthernetIpv4()
    {
        return PacketBytes.getU16(segment, offset + HARDWARE_TYPE_OFFSET) == HARDWARE_TYPE_ETHERNET
            && PacketBytes.getU16(segment, offset + PROTOCOL_TYPE_OFFSET) == EthernetFlyweight.ETHER_TYPE_IPV4
            && PacketBytes.getU8(segment, offset + HARDWARE_LENGTH_OFFSET) == 6
            && PacketBytes.getU8(segment, offset + PROTOCOL_LENGTH_OFFSET) == 4;
    }

    /** Writes the fixed Ethernet/IPv4 fields and the operation. */
    public ArpFlyweight initEthernetIpv4(final int operation)
    {
        PacketBytes.putU16(segment, offset + HARDWARE_TYPE_OFFSET, HARDWARE_TYPE_ETHERNET);
        PacketBytes.putU16(segment, offset + PROTOCOL_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        PacketBytes.putU8(segment, offset + HARDWARE_LENGTH_OFFSET, 6);
        PacketBytes.putU8(segment, offset + PROTOCOL_LENGTH_OFFSET, 4);
        PacketBytes.putU16(segment, offset + OPERATION_OFFSET, operation);
        return this;
    }

    public int operation()
    {
        return PacketBytes.getU16(segment, offset + OPERATION_OFFSET);
    }

    public long senderMac()
    {
        return PacketBytes.getMac(segment, offset + SENDER_MAC_OFFSET);
    }

    public ArpFlyweight senderMac(final long mac)
    {
        PacketBytes.putMac(segment, offset + SENDER_MAC_OFFSET, mac);
        return this;
    }

    public int senderIp()
    {
        return PacketBytes.getI32(segment, offset + SENDER_IP_OFFSET);
    }

    public ArpFlyweight senderIp(final int ip)
    {
        PacketBytes.putI32(segment, offset + SENDER_IP_OFFSET, ip);
        return this;
    }

    public long targetMac()
    {
        return PacketBytes.getMac(segment, offset + TARGET_MAC_OFFSET);
    }

    public ArpFlyweight targetMac(final long mac)
    {
        PacketBytes.putMac(segment, offset + TARGET_MAC_OFFSET, mac);
        return this;
    }

    public int targetIp()
    {
        return PacketBytes.getI32(segment, offset + TARGET_IP_OFFSET);
    }

    public ArpFlyweight targetIp(final int ip)
    {
        PacketBytes.putI32(segment, offset + TARGET_IP_OFFSET, ip);
        return this;
    }
}
