package dev.podswitch.dataplane.port.endpoint;

import java.lang.foreign.MemorySegment;

/** How an endpoint's frames enter the switch: in emulated mode, an offer into its node's ring. */
@FunctionalInterface
public interface EndpointLink
{
    /** @return false when the switch could not take the frame (it counts why). */
    boolean send(MemorySegment frame, long offset, int length);
}
