package dev.podswitch.dataplane.offload;

import java.lang.foreign.MemorySegment;

/** Where {@link SoftwareOffload} hands each finished frame: a port, or the tunnel towards one node. */
@FunctionalInterface
public interface SegmentSink
{
    /** @return false when the frame could not be sent. */
    boolean send(MemorySegment frame, long offset, int length);
}
