package dev.podswitch.dataplane.port;

import java.lang.foreign.MemorySegment;

/**
 * Where the pipeline sends a frame out. Transmit is called on the node's pipeline thread, with
 * frame memory that is only valid during the call: a port copies what it keeps. {@link #flush()}
 * runs once at the end of each batch, so ports that can batch writes do so there.
 */
public interface Port
{
    int id();

    String name();

    /** @return false when the frame could not be sent (the caller counts the drop). */
    boolean transmit(MemorySegment frame, long offset, int length);

    default void flush()
    {
    }
}
