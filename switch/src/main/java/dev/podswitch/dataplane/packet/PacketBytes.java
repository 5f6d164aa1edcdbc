package dev.podswitch.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Network-byte-order accessors over a {@link MemorySegment}, shared by every flyweight. MACs are
 * carried as the low 48 bits of a {@code long}, IPv4 addresses as an {@code int}; both are
 * compared and hashed without allocation.
 */
public final class PacketBytes
{
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;

    private PacketBytes()
    {
    }

    public static int getU8(final MemorySegment segment, final long offset)
    {
        return segment.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    public static void putU8(final MemorySegment segment, final long offset, final int value)
    {
        segment.set(ValueLayout.JAVA_BYTE, offset, (byte)value);
    }

    public static int getU16(final MemorySegment segment, final long offset)
    {
        return segment.get(U16, offset) & 0xFFFF;
    }

    public static void putU16(final MemorySegment segment, final long offset, final int value)
    {
        segment.set(U16, offset, (short)value);
    }

    public static int getI32(final MemorySegment segment, final long offset)
    {
        return segment.get(U32, offset);
    }

    public static void putI32(final MemorySegment segment, final long offset, final int value)
    {
        segment.set(U32, offset, value);
    }

    public static long getMac(final MemorySegment segment, final long offset)
    {
        return ((long)getU16(segment, offset) << 32) | (getI32(segment, offset + 2) & 0xFFFF_FFFFL);
    }

    public static void putMac(final MemorySegment segment, final long offset, final long mac)
    {
        putU16(segment, offset, (int)(mac >>> 32));
        putI32(segment, offset + 2, (int)mac);
    }

    /** {@code aa:bb:cc:dd:ee:ff}; for logs and tests, never the hot path. */
    public static String macToString(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0)
            {
                text.append(':');
            }
        }
        return text.toString();
    }

    public static long parseMac(final String text)
    {
        final String[] octets = text.split(":");
        if (octets.length != 6)
        {
            throw new IllegalArgumentException("not a MAC address (six hex octets separated by ':'): " + text);
        }
        long mac = 0;
        for (final String octet : octets)
        {
            if (!octet.matches("[0-9a-fA-F]{1,2}"))
            {
                throw new IllegalArgumentException("not a MAC address (six hex octets separated by ':'): " + text);
            }
            mac = (mac << 8) | Integer.parseInt(octet, 16);
        }
        return mac;
    }

    /** Dotted quad; for logs and tests, never the hot path. */
    public static String ipToString(final int ip)
    {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }
}
