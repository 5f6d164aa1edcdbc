package dev.podswitch.dataplane.reassembly;

import dev.podswitch.dataplane.packet.TestFrames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * IPv4 fragments built byte by byte, as a sender's kernel cuts a datagram (RFC 791): every
 * fragment repeats the 20-byte header with the datagram's identification, sets more-fragments on
 * all but the last, gives its payload's offset in 8-byte units, and has its own header checksum.
 * Also the pieces a test needs to cut a datagram wrongly (overlaps, odd sizes) and to join what a
 * port received back into the datagram, independently of the code under test.
 */
public final class Fragments
{
    private static final int ETH = 14;
    private static final int IP = 20;

    private Fragments()
    {
    }

    /** An Ethernet frame carrying one fragment: {@code l4[start, end)} of the datagram's payload. */
    public static byte[] fragment(final long sourceMac, final long destinationMac, final int sourceIp,
        final int destinationIp, final int protocol, final int identification, final byte[] l4, final int start,
        final int end, final boolean more)
    {
        final byte[] packet = TestFrames.ipv4(protocol, sourceIp, destinationIp, 64, Arrays.copyOfRange(l4, start, end));
        TestFrames.putU16(packet, 4, identification);
        TestFrames.putU16(packet, 6, (more ? 0x2000 : 0) | start / 8);
        TestFrames.putU16(packet, 10, 0);
        TestFrames.putU16(packet, 10, TestFrames.naiveChecksum(packet, 0, IP));
        return TestFrames.pad(TestFrames.ethernet(destinationMac, sourceMac, 0x0800, packet));
    }

    /** The whole datagram payload {@code l4} cut into fragments of {@code size} payload bytes (a multiple of 8), in order. */
    public static List<byte[]> cut(final long sourceMac, final long destinationMac, final int sourceIp,
        final int destinationIp, final int protocol, final int identification, final byte[] l4, final int size)
    {
        final List<byte[]> fragments = new ArrayList<>();
        for (int start = 0; start < l4.length; start += size)
        {
            final int end = Math.min(l4.length, start + size);
            fragments.add(fragment(sourceMac, destinationMac, sourceIp, destinationIp, protocol, identification, l4,
                start, end, end < l4.length));
        }
        return fragments;
    }

    /** A payload of {@code length} bytes that shows where each byte came from. */
    public static byte[] pattern(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + i / 251);
        }
        return bytes;
    }

    /** The fragment's offset in bytes, read from its frame. */
    public static int offsetOf(final byte[] frame)
    {
        return (TestFrames.u16(frame, ETH + 6) & 0x1FFF) * 8;
    }

    public static int ttlOf(final byte[] frame)
    {
        return frame[ETH + 8] & 0xFF;
    }

    /** Joins fragment frames (any order) back into the datagram's L4 bytes, the way a receiving host would. */
    public static byte[] join(final List<byte[]> frames)
    {
        int total = 0;
        for (final byte[] frame : frames)
        {
            final int payload = TestFrames.u16(frame, ETH + 2) - IP;
            total = Math.max(total, offsetOf(frame) + payload);
        }
        final byte[] l4 = new byte[total];
        for (final byte[] frame : frames)
        {
            final int payload = TestFrames.u16(frame, ETH + 2) - IP;
            System.arraycopy(frame, ETH + IP, l4, offsetOf(frame), payload);
        }
        return l4;
    }
}
