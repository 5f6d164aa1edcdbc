package dev.podswitch.dataplane.ring;

import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameRingTest
{
    private final DatapathCounters counters = new DatapathCounters();
    private final FrameRing ring = new FrameRing(8, 64, counters);

    private List<Integer> drainLengths()
    {
        final List<Integer> lengths = new ArrayList<>();
        try
        {
            ring.drain((frame, sequence, endOfBatch) ->
            {
                lengths.add(frame.length());
                return true;
            });
        }
        catch (final Exception e)
        {
            throw new AssertionError(e);
        }
        return lengths;
    }

    @Test
    void shouldCountRingFullAsReceivedAndDroppedWhenEverySlotIsTaken()
    {
        final MemorySegment frame = MemorySegment.ofArray(new byte[60]);
        for (int i = 0; i < 8; i++)
        {
            assertTrue(ring.offer(1, frame, 0, 60));
        }
        assertFalse(ring.offer(1, frame, 0, 60));
        assertEquals(1, counters.droppedCount(DropReason.RING_FULL));
        assertEquals(1, counters.receivedCount(), "the pipeline counts the other eight when it handles them");
        assertEquals(8, drainLengths().size());
        assertTrue(ring.isEmpty());
        assertTrue(ring.offer(1, frame, 0, 60), "room again after the drain");
    }

    @Test
    void shouldReportTheSlotsInUseUntilThePipelineDrainsThem()
    {
        final MemorySegment frame = MemorySegment.ofArray(new byte[60]);
        assertEquals(8, ring.slots());
        assertEquals(0, ring.occupancy());
        for (int i = 0; i < 8; i++)
        {
            assertTrue(ring.offer(1, frame, 0, 60));
        }
        assertFalse(ring.offer(1, frame, 0, 60));
        assertEquals(8, ring.occupancy(), "full: the refused frame takes no slot");
        drainLengths();
        assertEquals(0, ring.occupancy());
    }

    /**
     * A frame longer than a slot (a jumbo datagram from the UDP underlay, a misconfigured port)
     * must be refused like a full ring. Today the copy throws after the slot was claimed, and the
     * claimed-but-never-published sequence blocks every later frame: the node stops forever.
     */
    @Test
    void shouldRefuseFrameLongerThanSlotAndKeepDeliveringWhenOffered()
    {
        final MemorySegment big = MemorySegment.ofArray(new byte[65]);
        RuntimeException thrown = null;
        boolean accepted = true;
        try
        {
            accepted = ring.offer(1, big, 0, 65);
        }
        catch (final RuntimeException e)
        {
            thrown = e;
        }
        assertTrue(ring.offer(1, MemorySegment.ofArray(new byte[60]), 0, 60));
        final List<Integer> delivered = drainLengths();
        assertNull(thrown, "an oversize frame must be refused, not thrown");
        assertFalse(accepted);
        assertEquals(List.of(60), delivered, "the next frame must still reach the pipeline");
    }

    /** A replay waits for room instead of dropping: a full ring says no without counting a drop, and nothing is claimed. */
    @Test
    void shouldRefuseWithoutCountingWhenAWaitingProducerFindsTheRingFull()
    {
        final MemorySegment frame = MemorySegment.ofArray(new byte[60]);
        for (int i = 0; i < 8; i++)
        {
            assertTrue(ring.offerIfRoom(3, frame, 0, 60));
        }
        assertFalse(ring.offerIfRoom(3, frame, 0, 60));
        assertEquals(0, counters.droppedCount(DropReason.RING_FULL), "the producer retries: no drop");
        assertEquals(0, counters.receivedCount());
        assertEquals(8, drainLengths().size());
        assertTrue(ring.offerIfRoom(3, frame, 0, 60), "room again after the drain");
        boolean refused = false;
        try
        {
            ring.offerIfRoom(3, MemorySegment.ofArray(new byte[65]), 0, 65);
        }
        catch (final IllegalArgumentException tooLong)
        {
            refused = true;
        }
        assertTrue(refused, "a frame longer than a slot is the caller's mistake");
        assertEquals(List.of(60), drainLengths(), "and claimed no slot");
    }
}
