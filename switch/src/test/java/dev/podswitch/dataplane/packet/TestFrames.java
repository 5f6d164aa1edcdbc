package dev.podswitch.dataplane.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * Builds frames byte by byte with naive oracles for the Internet checksum and CRC32c, independent
 * of the flyweights and {@link Checksums} under test. Addresses are ints and longs as the data
 * plane carries them.
 */
public final class TestFrames
{
    public static final int ETH = 14;

    private TestFrames()
    {
    }

    /** Hex digits, whitespace ignored. */
    public static byte[] hex(final String text)
    {
        return HexFormat.of().parseHex(text.replaceAll("\\s+", ""));
    }

    public static String toHex(final byte[] bytes)
    {
        return HexFormat.of().formatHex(bytes);
    }

    /** Native memory of exactly the frame's size, so any read past its end throws. */
    public static MemorySegment nativeCopy(final byte[] bytes)
    {
        final MemorySegment segment = Arena.ofAuto().allocate(Math.max(1, bytes.length), 8);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        return segment.asSlice(0, bytes.length);
    }

    public static byte[] toBytes(final MemorySegment segment, final long offset, final int length)
    {
        return segment.asSlice(offset, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    public static int ip(final int a, final int b, final int c, final int d)
    {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    public static int u16(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    public static void putU16(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)(value >>> 8);
        bytes[offset + 1] = (byte)value;
    }

    /** The RFC 1071 sum, 16 bits at a time, folded but not inverted: the oracle. */
    public static int naiveSum(final byte[] bytes, final int offset, final int length, final int initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int high = bytes[offset + i] & 0xFF;
            final int low = i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    public static int naiveChecksum(final byte[] bytes, final int offset, final int length)
    {
        return ~naiveSum(bytes, offset, length, 0) & 0xFFFF;
    }

    /** The pseudo-header of RFC 768/793 summed 16 bits at a time. */
    public static int naivePseudoSum(final int sourceIp, final int destinationIp, final int protocol, final int length)
    {
        final byte[] pseudo = ByteBuffer.allocate(12).putInt(sourceIp).putInt(destinationIp).put((byte)0)
            .put((byte)protocol).putShort((short)length).array();
        return naiveSum(pseudo, 0, 12, 0);
    }

    /** CRC-32C bit by bit (reflected polynomial 0x82F63B78), the oracle for SCTP. */
    public static int naiveCrc32c(final byte[] bytes, final int offset, final int length)
    {
        int crc = 0xFFFF_FFFF;
        for (int i = 0; i < length; i++)
        {
            crc ^= bytes[offset + i] & 0xFF;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F6_3B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    public static byte[] ethernet(final long destinationMac, final long sourceMac, final int etherType, final byte[] payload)
    {
        final ByteBuffer frame = ByteBuffer.allocate(ETH + payload.length);
        frame.putShort((short)(destinationMac >>> 32)).putInt((int)destinationMac);
        frame.putShort((short)(sourceMac >>> 32)).putInt((int)sourceMac);
        frame.putShort((short)etherType).put(payload);
        return frame.array();
    }

    public static byte[] arp(final int operation, final long senderMac, final int senderIp, final long targetMac,
        final int targetIp)
    {
        final ByteBuffer arp = ByteBuffer.allocate(28);
        arp.putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)operation);
        arp.putShort((short)(senderMac >>> 32)).putInt((int)senderMac).putInt(senderIp);
        arp.putShort((short)(targetMac >>> 32)).putInt((int)targetMac).putInt(targetIp);
        return arp.array();
    }

    /** A 20-byte IPv4 header (DF set) in front of {@code l4}, with a correct header checksum. */
    public static byte[] ipv4(final int protocol, final int sourceIp, final int destinationIp, final int ttl,
        final byte[] l4)
    {
        final ByteBuffer packet = ByteBuffer.allocate(20 + l4.length);
        packet.put((byte)0x45).put((byte)0).putShort((short)(20 + l4.length)).putShort((short)0x1234)
            .putShort((short)0x4000).put((byte)ttl).put((byte)protocol).putShort((short)0)
            .putInt(sourceIp).putInt(destinationIp).put(l4);
        final byte[] bytes = packet.array();
        putU16(bytes, 10, naiveChecksum(bytes, 0, 20));
        return bytes;
    }

    public static byte[] tcp(final int sourceIp, final int destinationIp, final int sourcePort, final int destinationPort,
        final int flags, final byte[] payload)
    {
        final ByteBuffer segment = ByteBuffer.allocate(20 + payload.length);
        segment.putShort((short)sourcePort).putShort((short)destinationPort).putInt(0x0102_0304).putInt(0)
            .put((byte)0x50).put((byte)flags).putShort((short)64240).putShort((short)0).putShort((short)0).put(payload);
        final byte[] bytes = segment.array();
        final int pseudo = naivePseudoSum(sourceIp, destinationIp, 6, bytes.length);
        putU16(bytes, 16, ~naiveSum(bytes, 0, bytes.length, pseudo) & 0xFFFF);
        return bytes;
    }

    public static byte[] udp(final int sourceIp, final int destinationIp, final int sourcePort, final int destinationPort,
        final byte[] payload)
    {
        final ByteBuffer datagram = ByteBuffer.allocate(8 + payload.length);
        datagram.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)(8 + payload.length))
            .putShort((short)0).put(payload);
        final byte[] bytes = datagram.array();
        final int pseudo = naivePseudoSum(sourceIp, destinationIp, 17, bytes.length);
        final int checksum = ~naiveSum(bytes, 0, bytes.length, pseudo) & 0xFFFF;
        putU16(bytes, 6, checksum == 0 ? 0xFFFF : checksum);
        return bytes;
    }

    public static byte[] icmpEcho(final int type, final int identifier, final int sequence, final byte[] data)
    {
        final ByteBuffer message = ByteBuffer.allocate(8 + data.length);
        message.put((byte)type).put((byte)0).putShort((short)0).putShort((short)identifier).putShort((short)sequence)
            .put(data);
        final byte[] bytes = message.array();
        putU16(bytes, 2, naiveChecksum(bytes, 0, bytes.length));
        return bytes;
    }

    /** An SCTP packet with one INIT chunk (no parameters) and its CRC32c, least significant byte first. */
    public static byte[] sctpInit(final int sourcePort, final int destinationPort, final int initiateTag)
    {
        final ByteBuffer packet = ByteBuffer.allocate(32);
        packet.putShort((short)sourcePort).putShort((short)destinationPort).putInt(0).putInt(0)
            .put((byte)1).put((byte)0).putShort((short)20)
            .putInt(initiateTag).putInt(65536).putShort((short)1).putShort((short)1).putInt(initiateTag);
        final byte[] bytes = packet.array();
        final int crc = naiveCrc32c(bytes, 0, bytes.length);
        ByteBuffer.wrap(bytes).putInt(8, Integer.reverseBytes(crc));
        return bytes;
    }

    /** Ethernet pads frames shorter than 60 bytes (without FCS) with zeros. */
    public static byte[] pad(final byte[] frame)
    {
        return frame.length >= 60 ? frame : java.util.Arrays.copyOf(frame, 60);
    }

    /** Recomputes the IPv4 header checksum of a frame after a test broke some other field. */
    public static byte[] fixIpChecksum(final byte[] frame)
    {
        final int headerLength = Math.min((frame[ETH] & 0x0F) * 4, frame.length - ETH);
        putU16(frame, ETH + 10, 0);
        putU16(frame, ETH + 10, naiveChecksum(frame, ETH, headerLength));
        return frame;
    }
}
