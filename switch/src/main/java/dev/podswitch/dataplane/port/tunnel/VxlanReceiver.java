package dev.podswitch.dataplane.port.tunnel;

import java.lang.foreign.MemorySegment;

/** Receives the UDP payload of a VXLAN packet (the VXLAN header onwards) and the sender's VTEP. */
@FunctionalInterface
public interface VxlanReceiver
{
    void onVxlanPayload(int remoteVtepIp, MemorySegment payload, long offset, int length);
}
