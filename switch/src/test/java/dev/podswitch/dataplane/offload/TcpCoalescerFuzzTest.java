package dev.podswitch.dataplane.offload;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.podswitch.dataplane.packet.TestFrames;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes {@link TcpCoalescer} against software segmentation as its oracle: whatever it makes of a
 * stream of frames, cutting every super-frame it emits again with {@link SoftwareOffload} and
 * taking every other frame as it came must give back exactly the frames it was given, in order
 * (IPv4 identification and header checksum aside, which TSO numbers afresh). So a merge may never
 * lose, reorder, duplicate or alter a byte, and a frame it must not merge — a gap in the sequence,
 * other flags, another flow or header, a bad checksum, garbage — passes alone, untouched. A super-frame
 * carries at least two segments, fits the coalescer's capacity and asks for TCP/IPv4 GSO.
 *
 * <p>Input: {@code mss:u8 capacity:u8} then segments of a TCP flow built from three bytes each
 * ({@code control, a, b}; see {@link #segment}) with correct checksums unless told otherwise,
 * or raw frames ({@code control & 3 == 3}: the next {@code a} bytes as they are). Each frame lies
 * in memory that ends where it ends, so a read past a frame is an exception.
 */
class TcpCoalescerFuzzTest
{
    private static final int SOURCE_IP = TestFrames.ip(10, 244, 1, 2);
    private static final int DESTINATION_IP = TestFrames.ip(10, 244, 2, 3);
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    @FuzzTest
    void shouldGiveBackExactlyTheFramesItWasGivenWhenItsOutputIsCutAgain(final byte[] input)
    {
        if (input.length < 2)
        {
            return;
        }
        final int mss = 1 + (input[0] & 0xFF);
        final int capacity = 64 + (input[1] & 0xFF) * 16;
        final List<byte[]> given = new ArrayList<>();
        int sequence = 1_000;
        int at = 2;
        for (int index = 0; at + 3 <= input.length; index++)
        {
            final int control = input[at] & 0xFF;
            final int a = input[at + 1] & 0xFF;
            final int b = input[at + 2] & 0xFF;
            at += 3;
            if ((control & 3) == 3)
            {
                final int end = Math.min(input.length, at + a);
                given.add(Arrays.copyOfRange(input, at, end));
                at = end;
                continue;
            }
            final byte[] frame = segment(control, a, b, mss, sequence, index);
            given.add(frame);
            final int headerEnd = ETH + 20 + ((frame[ETH + 20 + 12] & 0xF0) >>> 2);
            sequence += Math.max(0, frame.length - headerEnd) + ((control & 8) != 0 ? b - 128 : 0);
        }

        final TcpCoalescer coalescer = new TcpCoalescer(capacity);
        final List<byte[]> emitted = new ArrayList<>();
        final List<Long> offloads = new ArrayList<>();
        final TcpCoalescer.Output output = (frame, offset, length, offload) ->
        {
            emitted.add(TestFrames.toBytes(frame, offset, length));
            offloads.add(offload);
        };
        for (final byte[] frame : given)
        {
            coalescer.accept(exactNative(frame), 0, frame.length, output);
        }
        coalescer.flush(output);

        final List<byte[]> again = new ArrayList<>();
        final List<Boolean> cutAgain = new ArrayList<>();
        for (int i = 0; i < emitted.size(); i++)
        {
            final byte[] frame = emitted.get(i);
            final long offload = offloads.get(i);
            if (offload == Offload.NONE)
            {
                again.add(frame);
                cutAgain.add(false);
                continue;
            }
            assertEquals(Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, Offload.segmentSize(offload),
                ETH + 20, 16), offload, "a super-frame asks for TCP/IPv4 GSO with a partial checksum");
            assertTrue(frame.length <= capacity, "a super-frame of " + frame.length + " bytes in a coalescer of "
                + capacity);
            final int before = again.size();
            assertTrue(new SoftwareOffload(65_600).finish(exactNative(frame), 0, frame.length, offload,
                (segment, offset, length) -> again.add(TestFrames.toBytes(segment, offset, length))),
                "software cannot cut the super-frame it was handed");
            assertTrue(again.size() - before >= 2, "a super-frame of one segment");
            while (cutAgain.size() < again.size())
            {
                cutAgain.add(true);
            }
        }
        assertEquals(given.size(), again.size(), "frames given and frames given back");
        for (int i = 0; i < given.size(); i++)
        {
            final byte[] original = given.get(i);
            final byte[] back = again.get(i);
            if (cutAgain.get(i))
            {
                assertArrayEquals(withoutIpIdentificationAndChecksum(original), withoutIpIdentificationAndChecksum(back),
                    "merged frame " + i + " of " + given.size() + ": " + TestFrames.toHex(original));
            }
            else
            {
                assertArrayEquals(original, back, "frame " + i + " of " + given.size() + " passed alone: "
                    + TestFrames.toHex(original));
            }
        }
    }

    /**
     * One segment of the flow 10.244.1.2:40000 → 10.244.2.3:5201 (or from port 40001), flags ACK,
     * sequence as the flow expects; {@code control} changes it:
     * <pre>
     *  bits 0-1  payload: 0 one MSS, 1 {@code a} mod (MSS + 1) bytes, 2 MSS + {@code a} bytes
     *  bit 2     PSH         bit 3  sequence off by {@code b} - 128 for the segments after it
     *  bit 4     flags = {@code b} (instead of ACK)
     *  bit 5     byte {@code a} (mod length) flipped after the checksums are set
     *  bit 6     from port 40001 (another flow)
     *  bit 7     TCP options: 12 bytes (NOP, NOP, timestamps {@code a}, {@code b})
     * </pre>
     * The IP identification counts segments; TOS, TTL and window are those of the flow.
     */
    static byte[] segment(final int control, final int a, final int b, final int mss, final int sequence,
        final int index)
    {
        final int payloadLength = switch (control & 3)
        {
            case 1 -> a % (mss + 1);
            case 2 -> mss + a;
            default -> mss;
        };
        final int options = (control & 0x80) != 0 ? 12 : 0;
        final ByteBuffer tcp = ByteBuffer.allocate(20 + options + payloadLength);
        final int flags = (control & 0x10) != 0 ? b : ACK | ((control & 4) != 0 ? PSH : 0);
        tcp.putShort((short)((control & 0x40) != 0 ? 40001 : 40000)).putShort((short)5201).putInt(sequence)
            .putInt(0x0BAD_CAFE).put((byte)((20 + options) / 4 << 4)).put((byte)flags).putShort((short)502)
            .putShort((short)0).putShort((short)0);
        if (options > 0)
        {
            tcp.put((byte)1).put((byte)1).put((byte)8).put((byte)10).putInt(a).putInt(b);
        }
        for (int i = 0; i < payloadLength; i++)
        {
            tcp.put((byte)(index * 31 + i));
        }
        final byte[] l4 = tcp.array();
        TestFrames.putU16(l4, 16,
            ~TestFrames.naiveSum(l4, 0, l4.length, TestFrames.naivePseudoSum(SOURCE_IP, DESTINATION_IP, 6, l4.length))
                & 0xFFFF);
        final byte[] ip = TestFrames.ipv4(6, SOURCE_IP, DESTINATION_IP, 63, l4);
        TestFrames.putU16(ip, 4, index);
        TestFrames.putU16(ip, 10, 0);
        TestFrames.putU16(ip, 10, TestFrames.naiveChecksum(ip, 0, 20));
        final byte[] frame = TestFrames.ethernet(0x0A58_0AF4_0201L, 0x0A58_0AF4_0101L, 0x0800, ip);
        if ((control & 0x20) != 0)
        {
            frame[a % frame.length] ^= (byte)(b | 1);
        }
        return frame;
    }

    private static MemorySegment exactNative(final byte[] frame)
    {
        final MemorySegment copy = Arena.ofAuto().allocate(Math.max(1, frame.length)).asSlice(0, frame.length);
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, copy, 0, frame.length);
        return copy;
    }

    private static byte[] withoutIpIdentificationAndChecksum(final byte[] frame)
    {
        if (frame.length < ETH + 20)
        {
            fail("a short frame came back changed: " + TestFrames.toHex(frame));
        }
        final byte[] copy = frame.clone();
        copy[ETH + 4] = copy[ETH + 5] = copy[ETH + 10] = copy[ETH + 11] = 0;
        return copy;
    }
}
