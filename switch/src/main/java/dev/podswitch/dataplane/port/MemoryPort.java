package dev.podswitch.dataplane.port;

import java.lang.foreign.MemorySegment;

/**
 * A port with no device behind it: frames the switch transmits go straight to a {@link FrameSink}
 * (a virtual endpoint), and the endpoint sends by offering frames to the node's ring. This is
 * the emulated mode's stand-in for a TAP device — the same pipeline, no kernel.
 */
public final class MemoryPort implements Port
{
    private final int id;
    private final String name;
    private volatile FrameSink sink;
    private long transmitted;

    public MemoryPort(final int id, final String name, final FrameSink sink)
    {
        this.id = id;
        this.name = name;
        this.sink = sink;
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String name()
    {
        return name;
    }

    public void sink(final FrameSink sink)
    {
        this.sink = sink;
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length)
    {
        final FrameSink target = sink;
        if (target == null)
        {
            return false;
        }
        transmitted++;
        target.onFrame(frame, offset, length);
        return true;
    }

    public long transmittedCount()
    {
        return transmitted;
    }
}
