package dev.podswitch.dataplane.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.podswitch.dataplane.packet.TestFrames.hex;
import static dev.podswitch.dataplane.packet.TestFrames.naiveChecksum;
import static dev.podswitch.dataplane.packet.TestFrames.toBytes;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumsTest
{
    private static final long SEED = 0x5EED_C0DEL;

    @Test
    void shouldMatchRfc1071ExampleWhenSummingEightBytes()
    {
        // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to 2ddf0, folded ddf2; the checksum is its complement.
        final MemorySegment bytes = MemorySegment.ofArray(hex("0001f203f4f5f6f7"));
        assertEquals(0xDDF2, ~Checksums.fold(Checksums.sum(bytes, 0, 8, 0)) & 0xFFFF);
        assertEquals(0x220D, Checksums.fold(Checksums.sum(bytes, 0, 8, 0)));
        assertEquals(0x220D, Checksums.internet(bytes, 0, 8));
    }

    @Test
    void shouldPadOddLengthWithZeroByteWhenSumming()
    {
        assertEquals(0xFEFF, Checksums.internet(MemorySegment.ofArray(new byte[] {1}), 0, 1));
        assertEquals(0xFFFF, Checksums.internet(MemorySegment.ofArray(new byte[0]), 0, 0));
        assertEquals(naiveChecksum(hex("0001f203f4"), 0, 5), Checksums.internet(MemorySegment.ofArray(hex("0001f203f4")), 0, 5));
    }

    @Test
    void shouldEqualNaiveSumWhenGivenRandomBytesAtRandomOffsets()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] bytes = new byte[random.nextInt(0, 1600)];
            if (random.nextInt(4) == 0)
            {
                Arrays.fill(bytes, (byte)0xFF);
            }
            else
            {
                random.nextBytes(bytes);
            }
            final int offset = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            final int length = random.nextInt(bytes.length - offset + 1);
            assertEquals(naiveChecksum(bytes, offset, length), Checksums.internet(MemorySegment.ofArray(bytes), offset, length),
                "case " + i + " offset " + offset + " length " + length);
        }
    }

    @Test
    void shouldEqualNaivePseudoHeaderWhenGivenRandomAddresses()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < 10_000; i++)
        {
            final int source = random.nextInt();
            final int destination = random.nextInt();
            final int protocol = random.nextBoolean() ? 6 : 17;
            final int length = random.nextInt(0, 0x10000);
            final int expected = TestFrames.naivePseudoSum(source, destination, protocol, length);
            assertEquals(~expected & 0xFFFF, Checksums.fold(Checksums.pseudoHeaderSum(source, destination, protocol, length)));
        }
    }

    @Test
    void shouldWriteFfffWhenUdpChecksumComputesToZero()
    {
        final int source = TestFrames.ip(10, 244, 0, 2);
        final int destination = TestFrames.ip(10, 244, 1, 2);
        final byte[] datagram = TestFrames.udp(source, destination, 1000, 2000, new byte[2]);
        // Choose the last payload word so the whole sum is 0xffff: the computed checksum is then 0.
        TestFrames.putU16(datagram, 6, 0);
        final int partial = TestFrames.naiveSum(datagram, 0, datagram.length,
            TestFrames.naivePseudoSum(source, destination, 17, datagram.length));
        TestFrames.putU16(datagram, 8, 0xFFFF - partial);
        final MemorySegment segment = MemorySegment.ofArray(datagram);
        final UdpFlyweight udp = new UdpFlyweight().wrap(segment, 0).updateChecksum(source, destination);
        assertEquals(0xFFFF, udp.checksum(), "RFC 768: a computed zero is transmitted as all ones");
        assertTrue(udp.isChecksumValid(source, destination));
        TestFrames.putU16(datagram, 6, 0);
        assertTrue(udp.isChecksumValid(source, destination), "zero means the sender computed none");
        TestFrames.putU16(datagram, 6, 0x1234);
        assertFalse(udp.isChecksumValid(source, destination));
    }

    @Test
    void shouldEqualFullRecomputeWhenTtlDecrementedOnRandomHeaders()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
        for (int i = 0; i < 50_000; i++)
        {
            final byte[] header = randomHeader(random);
            final int headerLength = header.length;
            switch (i % 3)
            {
                case 1 -> forceChecksum(header, 0x0000, false);   // stored checksum 0 before the decrement
                case 2 -> forceChecksum(header, 0x0000, true);    // stored checksum 0 after it
                default ->
                {
                }
            }
            final byte[] before = header.clone();
            ipv4.wrap(MemorySegment.ofArray(header), 0).decrementTtl();
            final byte[] expected = before.clone();
            expected[8] = (byte)((before[8] & 0xFF) - 1);
            TestFrames.putU16(expected, 10, 0);
            TestFrames.putU16(expected, 10, naiveChecksum(expected, 0, headerLength));
            assertEquals(toHex(expected), toHex(header), "case " + i + " from " + toHex(before));
            assertTrue(ipv4.isChecksumValid());
        }
    }

    @Test
    void shouldEqualFullRecomputeWhenAnyWordChangesIncrementally()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < 50_000; i++)
        {
            final byte[] header = randomHeader(random);
            final int word = 2 * random.nextInt(header.length / 2);
            if (word == 10)
            {
                continue;
            }
            final int oldWord = TestFrames.u16(header, word);
            final int newWord = random.nextInt(4) == 0 ? (random.nextBoolean() ? 0 : 0xFFFF) : random.nextInt(0x10000);
            final int incremental = Checksums.update(TestFrames.u16(header, 10), oldWord, newWord);
            TestFrames.putU16(header, word, newWord);
            TestFrames.putU16(header, 10, 0);
            assertEquals(naiveChecksum(header, 0, header.length), incremental, "case " + i + " word " + word);
        }
    }

    @Test
    void shouldMatchRfc3720VectorsWhenComputingCrc32c()
    {
        final byte[] zeros = new byte[32];
        final byte[] ones = new byte[32];
        Arrays.fill(ones, (byte)0xFF);
        final byte[] incrementing = new byte[32];
        final byte[] decrementing = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            incrementing[i] = (byte)i;
            decrementing[i] = (byte)(31 - i);
        }
        assertEquals(0x8A91_36AA, Checksums.crc32c(MemorySegment.ofArray(zeros), 0, 32));
        assertEquals(0x62A8_AB43, Checksums.crc32c(MemorySegment.ofArray(ones), 0, 32));
        assertEquals(0x46DD_794E, Checksums.crc32c(MemorySegment.ofArray(incrementing), 0, 32));
        assertEquals(0x113F_DB5C, Checksums.crc32c(MemorySegment.ofArray(decrementing), 0, 32));
        assertEquals(0xE306_9283, Checksums.crc32c(MemorySegment.ofArray("123456789".getBytes()), 0, 9), "CRC-32C check value");
        assertEquals(0x8A91_36AA, TestFrames.naiveCrc32c(zeros, 0, 32), "the test's own oracle agrees");
    }

    @Test
    void shouldStoreCrcLeastSignificantByteFirstWhenPacketIsRfc3720Zeros()
    {
        // A 32-byte "SCTP packet" of zeros: RFC 3720 B.4 lists its CRC bytes as aa 36 91 8a, the order
        // RFC 9260 appendix A puts them on the wire and tshark/Wireshark verify.
        final byte[] packet = new byte[32];
        final MemorySegment segment = MemorySegment.ofArray(packet);
        final SctpFlyweight sctp = new SctpFlyweight().wrap(segment, 0).updateChecksum(32);
        assertEquals("aa36918a", toHex(toBytes(segment, 8, 4)));
        assertTrue(sctp.isChecksumValid(32));
        packet[31] ^= 1;
        assertFalse(sctp.isChecksumValid(32));
    }

    @Test
    void shouldEqualNaiveCrc32cWhenGivenRandomSctpPackets()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final SctpFlyweight sctp = new SctpFlyweight();
        for (int i = 0; i < 2_000; i++)
        {
            final byte[] packet = new byte[random.nextInt(16, 600)];
            random.nextBytes(packet);
            final int offset = random.nextInt(8);
            final byte[] framed = new byte[offset + packet.length];
            System.arraycopy(packet, 0, framed, offset, packet.length);
            sctp.wrap(MemorySegment.ofArray(framed), offset).updateChecksum(packet.length);
            Arrays.fill(packet, 8, 12, (byte)0);
            final int crc = TestFrames.naiveCrc32c(packet, 0, packet.length);
            final byte[] expected = {(byte)crc, (byte)(crc >>> 8), (byte)(crc >>> 16), (byte)(crc >>> 24)};
            assertArrayEquals(expected, Arrays.copyOfRange(framed, offset + 8, offset + 12), "case " + i);
            assertTrue(sctp.isChecksumValid(packet.length));
        }
    }

    /** A valid IPv4 header: random fields and options, TTL 2..255, correct checksum. */
    private static byte[] randomHeader(final SplittableRandom random)
    {
        final int ihl = random.nextInt(4) == 0 ? random.nextInt(6, 16) : 5;
        final byte[] header = new byte[ihl * 4];
        random.nextBytes(header);
        header[0] = (byte)(0x40 | ihl);
        header[8] = (byte)random.nextInt(2, 256);
        TestFrames.putU16(header, 10, 0);
        TestFrames.putU16(header, 10, naiveChecksum(header, 0, header.length));
        return header;
    }

    /**
     * Adjusts the identification so that the stored checksum is {@code target}, before or after a
     * TTL decrement: the corner where RFC 1624 eqn. 2 would have written 0xffff instead of 0.
     */
    private static void forceChecksum(final byte[] header, final int target, final boolean afterDecrement)
    {
        TestFrames.putU16(header, 4, 0);
        TestFrames.putU16(header, 10, 0);
        final byte[] probe = header.clone();
        if (afterDecrement)
        {
            probe[8] = (byte)((probe[8] & 0xFF) - 1);
        }
        final int sum = TestFrames.naiveSum(probe, 0, probe.length, 0);
        final int wanted = ~target & 0xFFFF;
        TestFrames.putU16(header, 4, (wanted - sum + 0xFFFF) % 0xFFFF);
        TestFrames.putU16(header, 10, naiveChecksum(header, 0, header.length));
    }
}
