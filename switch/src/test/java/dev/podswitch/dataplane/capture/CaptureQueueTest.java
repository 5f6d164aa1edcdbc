package dev.podswitch.dataplane.capture;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The capture queue between a pipeline thread and its writer, without threads: frames come out
 * whole and in order across the ring's end, nothing is lost while there is room, a full ring drops
 * and counts (never waits), and mirroring allocates nothing. A plain FIFO of the accepted frames is
 * the oracle.
 */
class CaptureQueueTest
{
    private static final int CAPACITY = CaptureQueue.MIN_CAPACITY;
    private static final int MAX_TEST_FRAME = 20_000;

    /** One drained record, copied out of the ring. */
    private record Drained(boolean transmitted, byte[] bytes, long timestampNs, int tunnelSourceIp)
    {
    }

    @Test
    void shouldHandFramesOverInOrderAcrossTheRingsEndAndLoseNoneWhenNotFull()
    {
        final CaptureQueue queue = new CaptureQueue(CAPACITY);
        final List<Drained> seen = new ArrayList<>();
        // Frames of varied sizes, drained as they go with a backlog of ten, so the records wrap around
        // the 64 KiB ring many times and never fill it.
        int sent = 0;
        for (int round = 0; round < 200; round++)
        {
            for (int i = 0; i < (round == 0 ? 15 : 5); i++)
            {
                final byte[] frame = frame(sent, 60 + (sent * 977) % 1500);
                if (sent % 2 == 0)
                {
                    queue.received(MemorySegment.ofArray(frame), 0, frame.length, 0x7F000001, frame.length * 10L);
                }
                else
                {
                    queue.transmitted(MemorySegment.ofArray(frame), 0, frame.length, frame.length * 10L);
                }
                sent++;
            }
            queue.drain(collect(seen), 5);
        }
        while (queue.drain(collect(seen), 100) > 0)
        {
            // until empty
        }
        assertEquals(0, queue.dropped());
        assertEquals(sent, queue.queued());
        assertEquals(sent, seen.size());
        for (int i = 0; i < sent; i++)
        {
            final Drained drained = seen.get(i);
            assertArrayEquals(frame(i, 60 + (i * 977) % 1500), drained.bytes(), "frame " + i);
            assertEquals(i % 2 == 1, drained.transmitted());
            assertEquals(drained.transmitted() ? 0 : 0x7F000001, drained.tunnelSourceIp());
            assertEquals(drained.bytes().length * 10L, drained.timestampNs());
        }
    }

    @Test
    void shouldDropAndCountWhenFullAndTakeFramesAgainOnceDrained()
    {
        final CaptureQueue queue = new CaptureQueue(CAPACITY);
        final byte[] big = frame(1, 9000);
        final MemorySegment bigSegment = MemorySegment.ofArray(big);
        for (int i = 0; i < 20; i++)
        {
            queue.transmitted(bigSegment, 0, big.length, i);
        }
        // 64 KiB hold 7 records of 9,024 bytes: the rest is dropped and counted, never waited for.
        assertEquals(7, queue.queued());
        assertEquals(13, queue.dropped());
        assertFalse(queue.offer(true, bigSegment, 0, big.length, 0, 99), "a hand-fed offer is refused, not counted");
        assertEquals(13, queue.dropped());

        final List<Drained> seen = new ArrayList<>();
        assertEquals(7, queue.drain(collect(seen), 100));
        for (int i = 0; i < 7; i++)
        {
            assertEquals(i, seen.get(i).timestampNs(), "the first seven, in order");
            assertArrayEquals(big, seen.get(i).bytes());
        }
        queue.transmitted(bigSegment, 0, big.length, 20);
        assertEquals(1, queue.drain(collect(seen), 100));
        assertEquals(20, seen.getLast().timestampNs());
        assertEquals(13, queue.dropped(), "room again: nothing more dropped");
    }

    @Test
    void shouldAcceptEveryFrameThatFitsAndHandOverExactlyTheAcceptedOnesInOrder()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final CaptureQueue queue = new CaptureQueue(CAPACITY);
        final ArrayDeque<Drained> oracle = new ArrayDeque<>();
        final List<Drained> seen = new ArrayList<>();
        long backlogBytes = 0;
        final ArrayDeque<Integer> backlogRecords = new ArrayDeque<>();
        int offered = 0;
        int mustAccept = 0;
        for (int step = 0; step < 20_000; step++)
        {
            if (random.nextInt(3) > 0)
            {
                final int length = random.nextInt(4) == 0 ? 1 + random.nextInt(MAX_TEST_FRAME) : 60 + random.nextInt(1_455);
                final byte[] bytes = frame(offered, length);
                final boolean transmitted = random.nextBoolean();
                final int vtep = transmitted ? 0 : random.nextInt();
                final long record = record(length);
                final boolean accepted = queue.offer(transmitted, MemorySegment.ofArray(bytes), 0, length, vtep, offered);
                // Room for the record, for a padding record before it (shorter than the record), and
                // for a padding record still queued from the last wrap (shorter than the largest
                // record): the queue must take it.
                if (backlogBytes + 2 * record + record(MAX_TEST_FRAME) <= CAPACITY)
                {
                    assertTrue(accepted, "refused a " + length + "-byte frame with " + backlogBytes + " bytes queued");
                    mustAccept++;
                }
                if (accepted)
                {
                    oracle.add(new Drained(transmitted, bytes, offered, vtep));
                    backlogBytes += record;
                    backlogRecords.add((int)record);
                }
                offered++;
            }
            else
            {
                seen.clear();
                final int handed = queue.drain(collect(seen), 1 + random.nextInt(8));
                assertEquals(seen.size(), handed);
                for (final Drained drained : seen)
                {
                    final Drained expected = oracle.poll();
                    assertEquals(expected.timestampNs(), drained.timestampNs(), "order");
                    assertEquals(expected.transmitted(), drained.transmitted());
                    assertEquals(expected.tunnelSourceIp(), drained.tunnelSourceIp());
                    assertArrayEquals(expected.bytes(), drained.bytes());
                    backlogBytes -= backlogRecords.poll();
                }
            }
        }
        seen.clear();
        while (queue.drain(collect(seen), 100) > 0)
        {
            // until empty
        }
        assertEquals(oracle.size(), seen.size(), "what is left is exactly what was accepted and not yet drained");
        for (final Drained drained : seen)
        {
            assertArrayEquals(oracle.poll().bytes(), drained.bytes());
        }
        assertTrue(mustAccept > 1_000 && queue.queued() < offered, "both the room and the full case ran: "
            + mustAccept + " had to be taken, " + (offered - queue.queued()) + " found the ring full");
        assertEquals(0, queue.dropped(), "offer never counts: only the mirror drops");
    }

    @Test
    void shouldCutAFrameLongerThanHalfTheRing()
    {
        final CaptureQueue queue = new CaptureQueue(CAPACITY);
        final byte[] huge = frame(3, 40_000);
        assertTrue(queue.offer(true, MemorySegment.ofArray(huge), 0, huge.length, 0, 1));
        final List<Drained> seen = new ArrayList<>();
        queue.drain(collect(seen), 1);
        assertEquals(queue.maxFrameLength(), seen.getFirst().bytes().length);
        assertEquals(CAPACITY / 2 - 24, queue.maxFrameLength());
        assertEquals(CaptureQueue.SNAPLEN, new CaptureQueue().maxFrameLength());
        assertThrows(IllegalArgumentException.class, () -> new CaptureQueue(CAPACITY + 1));
    }

    @Test
    void shouldAllocateNothingWhenMirroringAfterWarmUp()
    {
        final java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        final CaptureQueue queue = new CaptureQueue(CAPACITY);
        final MemorySegment frame = Arena.ofAuto().allocate(1514);
        final CaptureQueue.RecordHandler discard = (transmitted, ring, offset, length, timestampNs, vtep) ->
        {
        };
        for (int i = 0; i < 200_000; i++)
        {
            mirrorAndDrain(queue, frame, discard, i);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++)
        {
            mirrorAndDrain(queue, frame, discard, i);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(queue.dropped() > 0 && queue.queued() > 0, "both the full and the free path ran");
        assertTrue(allocated < 4_096, "allocated " + allocated + " bytes over a million mirrored frames");
    }

    private static void mirrorAndDrain(final CaptureQueue queue, final MemorySegment frame,
        final CaptureQueue.RecordHandler discard, final int i)
    {
        final int length = 60 + (i % 1454);
        if ((i & 1) == 0)
        {
            queue.received(frame, 0, length, 1, i);
        }
        else
        {
            queue.transmitted(frame, 0, length, i);
        }
        // Drain in bursts that sometimes lag: the ring fills and drops now and then.
        if (i % 64 == 0)
        {
            queue.drain(discard, 40);
        }
    }

    private static CaptureQueue.RecordHandler collect(final List<Drained> into)
    {
        return (transmitted, ring, offset, length, timestampNs, vtep) -> into.add(new Drained(transmitted,
            ring.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE), timestampNs, vtep));
    }

    private static long record(final int length)
    {
        return (24L + Math.min(length, CAPACITY / 2 - 24) + 7) & ~7L;
    }

    private static byte[] frame(final int seed, final int length)
    {
        final byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(seed * 31 + i);
        }
        return frame;
    }
}
