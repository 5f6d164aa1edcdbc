package dev.podswitch.dataplane.capture;

import dev.podswitch.dataplane.port.Port;

import java.lang.foreign.MemorySegment;

/**
 * A port as the pipeline sees it while it is captured: every frame handed to it is shown to the
 * mirror, then to the real port. Made once when a capture starts, never per frame.
 */
public final class MirroringPort implements Port
{
    private final Port port;
    private final FrameMirror mirror;
    private long nowNs;

    public MirroringPort(final Port port, final FrameMirror mirror)
    {
        this.port = port;
        this.mirror = mirror;
    }

    public Port port()
    {
        return port;
    }

    /** The pipeline's clock for this batch, so transmitted frames carry the batch's timestamp. */
    public void now(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    @Override
    public int id()
    {
        return port.id();
    }

    @Override
    public String name()
    {
        return port.name();
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length)
    {
        mirror.transmitted(frame, offset, length, nowNs);
        return port.transmit(frame, offset, length);
    }

    @Override
    public boolean acceptsOffloads()
    {
        return port.acceptsOffloads();
    }

    @Override
    public boolean transmit(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        mirror.transmitted(frame, offset, length, nowNs);
        return port.transmit(frame, offset, length, offload);
    }

    @Override
    public void flush()
    {
        port.flush();
    }
}
