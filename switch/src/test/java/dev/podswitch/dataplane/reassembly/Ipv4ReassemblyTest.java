package dev.podswitch.dataplane.reassembly;

import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

import static dev.podswitch.dataplane.packet.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reassembly table alone, on real fragment bytes read by the real parser: what completes a
 * datagram, what is dropped (and whether the datagram goes with it), how each drop is counted, and
 * that memory is fixed however many fragments arrive. Time is a number the test passes.
 */
class Ipv4ReassemblyTest
{
    private static final long MAC_A = 0x0A58_0AF4_0002L;
    private static final long GATEWAY_MAC = 0x0A58_0AF4_0001L;
    private static final int SOURCE = ip(10, 244, 0, 2);
    private static final int DESTINATION = ip(10, 244, 0, 3);
    private static final int UDP = 17;
    private static final long TIMEOUT_NS = 1_000;
    private static final int PORT = 1;

    private final DatapathCounters counters = new DatapathCounters();
    private final Ipv4Reassembly reassembly = new Ipv4Reassembly(4, TIMEOUT_NS, counters);
    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();
    /** A 3,000-byte UDP datagram (header included): two 1,480-byte fragments and a 40-byte one. */
    private final byte[] l4 = TestFrames.udp(SOURCE, DESTINATION, 5353, 53, Fragments.pattern(2_992));

    private List<byte[]> datagram(final int identification)
    {
        return Fragments.cut(MAC_A, GATEWAY_MAC, SOURCE, DESTINATION, UDP, identification, l4, 1_480);
    }

    /** Any piece of the datagram, or beyond it (zeros), with the flag as given. */
    private byte[] piece(final int identification, final int start, final int end, final boolean more)
    {
        return Fragments.fragment(MAC_A, GATEWAY_MAC, SOURCE, DESTINATION, UDP, identification,
            Arrays.copyOf(l4, 4 * l4.length), start, end, more);
    }

    private int offer(final byte[] frame, final int portId, final long nowNs)
    {
        assertEquals(DropReason.IP_FRAGMENT, parser.parse(MemorySegment.ofArray(frame), 0, frame.length, meta));
        return reassembly.offer(MemorySegment.ofArray(frame), 14 + meta.ipTotalLength, meta, portId, nowNs);
    }

    private int offer(final byte[] frame)
    {
        return offer(frame, PORT, 0);
    }

    private void assertDropped(final DropReason expected, final byte[] frame)
    {
        assertEquals(Ipv4Reassembly.DROPPED, offer(frame));
        assertEquals(expected, reassembly.dropReason());
    }

    private byte[] stored(final int slot, final int index)
    {
        return TestFrames.toBytes(reassembly.storage(), reassembly.frameOffset(slot, index),
            reassembly.frameLength(slot, index));
    }

    @Test
    void shouldCompleteTheDatagramWhenItsFragmentsArriveInAnyOrder()
    {
        final List<byte[]> fragments = datagram(7);
        assertEquals(3, fragments.size());

        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(2)));
        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(0)));
        assertEquals(2, reassembly.heldFragments());
        final int slot = offer(fragments.get(1));

        assertTrue(slot >= 0, "whole");
        assertEquals(3, reassembly.fragmentCount(slot));
        assertEquals(1, reassembly.firstFragment(slot), "the first of the datagram came second");
        assertEquals(l4.length, reassembly.datagramPayloadLength(slot));
        assertArrayEquals(fragments.get(2), stored(slot, 0), "kept whole, in arrival order");
        assertArrayEquals(fragments.get(0), stored(slot, 1));
        assertArrayEquals(fragments.get(1), stored(slot, 2));
        assertArrayEquals(l4, Fragments.join(List.of(stored(slot, 0), stored(slot, 1), stored(slot, 2))));
        assertEquals(3, reassembly.heldFragments(), "held until the caller has forwarded them");
        reassembly.release(slot);
        assertEquals(0, reassembly.heldFragments());
        assertEquals(0, reassembly.datagramsInProgress());
        assertEquals(0, counters.droppedTotal());
    }

    @Test
    void shouldDropOnlyTheCopyWhenAFragmentArrivesTwice()
    {
        final List<byte[]> fragments = datagram(7);
        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(0)));
        assertDropped(DropReason.FRAGMENT_DUPLICATE, fragments.get(0));
        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(2)));
        assertDropped(DropReason.FRAGMENT_DUPLICATE, fragments.get(2));

        final int slot = offer(fragments.get(1));

        assertTrue(slot >= 0);
        assertEquals(3, reassembly.fragmentCount(slot));
        assertEquals(0, counters.droppedTotal(), "the caller counts the copies it was told of");
    }

    @Test
    void shouldDropTheWholeDatagramWhenAFragmentOverlapsOneHeld()
    {
        assertEquals(Ipv4Reassembly.HELD, offer(piece(7, 0, 1_480, true)));
        assertEquals(Ipv4Reassembly.HELD, offer(piece(7, 2_960, l4.length, false)));

        assertDropped(DropReason.FRAGMENT_OVERLAP, piece(7, 1_472, 2_952, true));

        assertEquals(2, counters.droppedCount(DropReason.FRAGMENT_OVERLAP), "both held fragments went with it");
        assertEquals(0, reassembly.heldFragments());
        assertEquals(0, reassembly.datagramsInProgress());
        assertEquals(Ipv4Reassembly.HELD, offer(piece(7, 1_480, 2_960, true)),
            "what comes after starts a datagram anew, which cannot complete without its first fragment");
    }

    @Test
    void shouldDropTheWholeDatagramWhenFragmentsDisagreeWhereItEnds()
    {
        assertEquals(Ipv4Reassembly.HELD, offer(piece(7, 0, 1_480, true)));
        assertEquals(Ipv4Reassembly.HELD, offer(piece(7, 2_960, l4.length, false)));
        assertDropped(DropReason.FRAGMENT_OVERLAP, piece(7, 2_960 + 48, 2_960 + 56, true));
        assertEquals(2, counters.droppedCount(DropReason.FRAGMENT_OVERLAP), "a fragment beyond the end");

        assertEquals(Ipv4Reassembly.HELD, offer(piece(8, 1_480, 2_960, true)));
        assertDropped(DropReason.FRAGMENT_OVERLAP, piece(8, 8, 1_000, false));
        assertEquals(3, counters.droppedCount(DropReason.FRAGMENT_OVERLAP), "a last fragment before held bytes");

        assertEquals(Ipv4Reassembly.HELD, offer(piece(9, 2_960, l4.length, false)));
        assertDropped(DropReason.FRAGMENT_OVERLAP, piece(9, 1_480, 2_000, false));
        assertEquals(4, counters.droppedCount(DropReason.FRAGMENT_OVERLAP), "two different last fragments");
        assertEquals(0, reassembly.datagramsInProgress());
    }

    @Test
    void shouldDropTheWholeDatagramWhenItWouldHoldMoreThanTheMostFragments()
    {
        final byte[] tiny = TestFrames.udp(SOURCE, DESTINATION, 5353, 53, new byte[8 * Ipv4Reassembly.MAX_FRAGMENTS]);
        final List<byte[]> fragments = Fragments.cut(MAC_A, GATEWAY_MAC, SOURCE, DESTINATION, UDP, 7, tiny, 8);
        assertEquals(Ipv4Reassembly.MAX_FRAGMENTS + 1, fragments.size());
        for (int i = 0; i < Ipv4Reassembly.MAX_FRAGMENTS; i++)
        {
            assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(i)));
        }

        assertDropped(DropReason.FRAGMENTS_TOO_MANY, fragments.getLast());

        assertEquals(Ipv4Reassembly.MAX_FRAGMENTS, counters.droppedCount(DropReason.FRAGMENTS_TOO_MANY));
        assertEquals(0, reassembly.heldFragments());
    }

    @Test
    void shouldRefuseAFragmentThatCannotBelongToADatagramAndKeepTheOthers()
    {
        assertEquals(Ipv4Reassembly.HELD, offer(piece(7, 0, 1_480, true)));

        assertDropped(DropReason.FRAGMENT_MALFORMED, piece(7, 1_480, 2_481, true));
        assertDropped(DropReason.FRAGMENT_MALFORMED, piece(7, 1_480, 1_480, true));
        final byte[] beyondTheLargestDatagram = piece(7, 0, 100, false);
        TestFrames.putU16(beyondTheLargestDatagram, 14 + 6, 0x1FFF);
        assertDropped(DropReason.FRAGMENT_MALFORMED, TestFrames.fixIpChecksum(beyondTheLargestDatagram));

        assertEquals(1, reassembly.heldFragments(), "only the bad fragments went");
        assertEquals(0, counters.droppedTotal());
    }

    @Test
    void shouldKeepDatagramsApartByIdentificationAndInputPort()
    {
        final List<byte[]> seven = datagram(7);
        final List<byte[]> eight = datagram(8);
        assertEquals(Ipv4Reassembly.HELD, offer(seven.get(0)));
        assertEquals(Ipv4Reassembly.HELD, offer(eight.get(0)));
        assertEquals(Ipv4Reassembly.HELD, offer(seven.get(1), PORT + 1, 0));
        assertEquals(Ipv4Reassembly.HELD, offer(seven.get(1)));
        assertEquals(Ipv4Reassembly.HELD, offer(eight.get(1)));
        assertEquals(3, reassembly.datagramsInProgress());

        final int slot = offer(seven.get(2));

        assertTrue(slot >= 0);
        assertArrayEquals(l4, Fragments.join(List.of(stored(slot, 0), stored(slot, 1), stored(slot, 2))));
    }

    @Test
    void shouldRefuseNewDatagramsWhenEverySlotIsTakenWithMemoryFixed()
    {
        final long storageBytes = reassembly.storageBytes();
        for (int id = 1; id <= 4; id++)
        {
            assertEquals(Ipv4Reassembly.HELD, offer(datagram(id).get(0)));
        }

        for (int id = 5; id < 1_000; id++)
        {
            assertDropped(DropReason.FRAGMENT_TABLE_FULL, datagram(id).get(0));
        }

        assertEquals(4, reassembly.datagramsInProgress());
        assertEquals(4, reassembly.heldFragments());
        assertEquals(storageBytes, reassembly.storageBytes());
        assertEquals(4L * Ipv4Reassembly.SLOT_BYTES, reassembly.storage().byteSize(), "allocated once, never grown");
        final int slot = offer(datagram(1).get(1)) == Ipv4Reassembly.HELD ? offer(datagram(1).get(2)) : -1;
        assertTrue(slot >= 0, "those in progress still complete");
        reassembly.release(slot);
        assertEquals(Ipv4Reassembly.HELD, offer(datagram(1_000).get(0)), "and free their slot for a new one");
    }

    @Test
    void shouldDropHeldFragmentsAsTimedOutWhenTheirDatagramIsNotWholeInTime()
    {
        final List<byte[]> fragments = datagram(7);
        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(0), PORT, 5_000));
        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(2), PORT, 5_500));

        assertEquals(0, reassembly.expire(5_000 + TIMEOUT_NS - 1));
        assertEquals(2, reassembly.expire(5_000 + TIMEOUT_NS), "the timeout runs from the first fragment");

        assertEquals(2, counters.droppedCount(DropReason.FRAGMENT_TIMEOUT));
        assertEquals(0, reassembly.heldFragments());
        assertEquals(Ipv4Reassembly.HELD, offer(fragments.get(1), PORT, 6_001), "a late fragment starts anew");
    }

    @Test
    void shouldHoldNothingAndCountNothingWhenOff()
    {
        final Ipv4Reassembly off = new Ipv4Reassembly(0, TIMEOUT_NS, counters);
        assertFalse(off.isEnabled());
        assertEquals(0, off.storageBytes());
        assertEquals(0, off.expire(Long.MAX_VALUE));
        assertTrue(counters.drops().isEmpty());
    }
}
