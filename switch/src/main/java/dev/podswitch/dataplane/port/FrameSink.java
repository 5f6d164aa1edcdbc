package dev.podswitch.dataplane.port;

import java.lang.foreign.MemorySegment;

/** What sits at the far end of a {@link MemoryPort}: a virtual pod or host, or a test. */
@FunctionalInterface
public interface FrameSink
{
    /** Called on the node's pipeline thread; the memory is valid only during the call. */
    void onFrame(MemorySegment frame, long offset, int length);
}
