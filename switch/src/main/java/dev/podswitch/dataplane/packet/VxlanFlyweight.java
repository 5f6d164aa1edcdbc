package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * VXLAN header (RFC 7348), the UDP payload in front of the inner Ethernet frame.
 * <pre>
 *  0       1                       4                       7       8
 * +-------+-----------------------+-----------------------+-------+
 * | flags | reserved              | VNI (24 bits)         | rsvd  |
 * +-------+-----------------------+-----------------------+-------+
 * </pre>
 * The I flag (0x08) must be set for the VNI to be valid.
 */
public final class VxlanFlyweight
{
    public static final int FLAGS_OFFSET = 0;
    public static final int VNI_OFFSET = 4;
    public static final int HEADER_LENGTH = 8;
    public static final int FLAG_VNI_VALID = 0x08;
    public static final int UDP_PORT = 4789;
    /** Outer Ethernet + IPv4 + UDP + VXLAN: what encapsulation adds to every inner frame. */
    public static final int ENCAPSULATION_OVERHEAD = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
        + UdpFlyweight.HEADER_LENGTH + HEADER_LENGTH;

    private MemorySegment segment;
    private long offset;

    public VxlanFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public VxlanFlyweight init(final int vni)
    {
        PacketBytes.putI32(segment, offset + FLAGS_OFFSET, FLAG_VNI_VALID << 24);
        PacketBytes.putI32(segment, offset + VNI_OFFSET, vni << 8);
        return this;
    }

    public boolean isVniValid()
    {
        return (PacketBytes.getU8(segment, offset + FLAGS_OFFSET) & FLAG_VNI_VALID) != 0;
    }

    public int vni()
    {
        return PacketBytes.getI32(segment, offset + VNI_OFFSET) >>> 8;
    }

    public long payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }
}
