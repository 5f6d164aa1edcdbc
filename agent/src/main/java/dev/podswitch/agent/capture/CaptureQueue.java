package dev.podswitch.agent.capture;

import dev.podswitch.dataplane.capture.FrameMirror;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipeline's side of a live capture: a {@link FrameMirror} that copies each frame into a
 * preallocated ring of bytes and returns — no allocation, no lock, no wait. A frame that does not
 * fit (the reader is behind) is dropped and counted, never waited for: capturing must not slow
 * the switch. One reader thread drains the records ({@link #drain}) and sends them on.
 *
 * <p>Records are variable length (a frame is 60 bytes or a 64 KiB TCP super-frame), 8-byte
 * aligned: {@code i32 recordLength, i32 kind, i64 nowNs, i32 frameLength, i32 tunnelSourceIp},
 * then the frame; a record that would straddle the end of the ring is preceded by a padding
 * record to the end. The writer publishes with a release store of the tail, the reader frees with
 * a release store of the head. The mirror is only ever called by its node's pipeline thread; a
 * try-lock guards the single-writer rule anyway, dropping (and counting) rather than waiting.
 */
public final class CaptureQueue implements FrameMirror
{
    /** Bytes of ring per capture: a few thousand MTU frames, or 60 TCP super-frames. */
    public static final int DEFAULT_CAPACITY = 4 << 20;
    static final int KIND_PADDING = 0;
    static final int KIND_RECEIVED = 1;
    static final int KIND_TRANSMITTED = 2;
    private static final int HEADER = 24;
    private static final long RECORD_LENGTH_OFFSET = 0;
    private static final long KIND_OFFSET = 4;
    private static final long NOW_OFFSET = 8;
    private static final long FRAME_LENGTH_OFFSET = 16;
    private static final long TUNNEL_SOURCE_OFFSET = 20;

    /** What the reader is handed, one record at a time; the bytes are valid only during the call. */
    @FunctionalInterface
    public interface RecordHandler
    {
        /** @param transmitted true: the frame left by the port; false: the port received it. */
        void onFrame(boolean transmitted, MemorySegment ring, long offset, int length, long nowNs, int tunnelSourceIp);
    }

    private final MemorySegment ring;
    private final long capacity;
    private final long mask;
    private final int maxFrame;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    public CaptureQueue()
    {
        this(DEFAULT_CAPACITY);
    }

    /** @param capacity bytes, a power of two of at least 64 KiB. */
    public CaptureQueue(final int capacity)
    {
        if (Integer.bitCount(capacity) != 1 || capacity < (64 << 10))
        {
            throw new IllegalArgumentException("capacity must be a power of two >= 64 KiB, got " + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        // A record never takes more than half the ring, so a padding record plus it always fits an empty ring.
        this.maxFrame = Math.min(CaptureProtocol.SNAPLEN, capacity / 2 - HEADER);
        // ofAuto: the pipeline may still write for the rest of the batch in which the mirror was
        // removed; the memory goes when nothing references the queue any more.
        this.ring = Arena.ofAuto().allocate(capacity, Long.BYTES);
    }

    @Override
    public void received(final MemorySegment frame, final long offset, final int length, final int tunnelSourceIp,
        final long nowNs)
    {
        offer(KIND_RECEIVED, frame, offset, length, tunnelSourceIp, nowNs);
    }

    @Override
    public void transmitted(final MemorySegment frame, final long offset, final int length, final long nowNs)
    {
        offer(KIND_TRANSMITTED, frame, offset, length, 0, nowNs);
    }

    /** Frames copied into the ring so far. */
    public long queued()
    {
        return queued.get();
    }

    /** Frames the ring had no room for (the reader was behind), so the capture misses them. */
    public long dropped()
    {
        return dropped.get();
    }

    private void offer(final int kind, final MemorySegment frame, final long offset, final int length,
        final int tunnelSourceIp, final long nowNs)
    {
        if (!writing.compareAndSet(false, true))
        {
            dropped.incrementAndGet();
            return;
        }
        try
        {
            final int captured = Math.min(length, maxFrame);
            final long recordLength = align(HEADER + captured);
            final long tailPosition = tail.get();
            final long index = tailPosition & mask;
            final long toEnd = capacity - index;
            final long padding = recordLength > toEnd ? toEnd : 0;
            if (tailPosition + padding + recordLength - head.getAcquire() > capacity)
            {
                dropped.setRelease(dropped.get() + 1);
                return;
            }
            long at = index;
            if (padding > 0)
            {
                ring.set(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET, (int)padding);
                ring.set(ValueLayout.JAVA_INT, index + KIND_OFFSET, KIND_PADDING);
                at = 0;
            }
            ring.set(ValueLayout.JAVA_INT, at + RECORD_LENGTH_OFFSET, (int)recordLength);
            ring.set(ValueLayout.JAVA_INT, at + KIND_OFFSET, kind);
            ring.set(ValueLayout.JAVA_LONG, at + NOW_OFFSET, nowNs);
            ring.set(ValueLayout.JAVA_INT, at + FRAME_LENGTH_OFFSET, captured);
            ring.set(ValueLayout.JAVA_INT, at + TUNNEL_SOURCE_OFFSET, tunnelSourceIp);
            MemorySegment.copy(frame, offset, ring, at + HEADER, captured);
            tail.setRelease(tailPosition + padding + recordLength);
            queued.setRelease(queued.get() + 1);
        }
        finally
        {
            writing.setRelease(false);
        }
    }

    /**
     * Hands up to {@code limit} queued frames to {@code handler}, oldest first, freeing each one's
     * room after the handler returned. The reader thread only.
     *
     * @return how many frames it handed over.
     */
    public int drain(final RecordHandler handler, final int limit)
    {
        long headPosition = head.get();
        final long tailPosition = tail.getAcquire();
        int handed = 0;
        while (headPosition < tailPosition && handed < limit)
        {
            final long index = headPosition & mask;
            final int recordLength = ring.get(ValueLayout.JAVA_INT, index + RECORD_LENGTH_OFFSET);
            final int kind = ring.get(ValueLayout.JAVA_INT, index + KIND_OFFSET);
            if (kind != KIND_PADDING)
            {
                handler.onFrame(kind == KIND_TRANSMITTED, ring, index + HEADER,
                    ring.get(ValueLayout.JAVA_INT, index + FRAME_LENGTH_OFFSET),
                    ring.get(ValueLayout.JAVA_LONG, index + NOW_OFFSET),
                    ring.get(ValueLayout.JAVA_INT, index + TUNNEL_SOURCE_OFFSET));
                handed++;
            }
            headPosition += recordLength;
            head.setRelease(headPosition);
        }
        return handed;
    }

    private static long align(final long length)
    {
        return (length + 7) & ~7L;
    }
}
