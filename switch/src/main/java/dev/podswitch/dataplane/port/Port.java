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

    /**
     * Whether this port takes frames that still carry an offload request (a partial checksum, a
     * TCP super-frame) through {@link #transmit(MemorySegment, long, int, long)}. Ports that do
     * not get only complete frames: the pipeline finishes the work in software first.
     */
    default boolean acceptsOffloads()
    {
        return false;
    }

    /**
     * Sends a frame with its offload request ({@link dev.podswitch.dataplane.offload.Offload});
     * called only when {@link #acceptsOffloads()} and the request is not {@code NONE}.
     */
    default boolean transmit(final MemorySegment frame, final long offset, final int length, final long offload)
    {
        throw new UnsupportedOperationException(name() + " does not take offload requests");
    }

    default void flush()
    {
    }
}
