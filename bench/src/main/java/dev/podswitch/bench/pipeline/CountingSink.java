package dev.podswitch.bench.pipeline;

import dev.podswitch.dataplane.port.FrameSink;

import java.lang.foreign.MemorySegment;

/** A pod that only counts what it receives: the far end of a benchmark's destination port. */
final class CountingSink implements FrameSink
{
    private long frames;
    private long bytes;

    @Override
    public void onFrame(final MemorySegment frame, final long offset, final int length)
    {
        frames++;
        bytes += length;
    }

    long frames()
    {
        return frames;
    }

    long bytes()
    {
        return bytes;
    }
}
