package dev.podswitch.dataplane.port.tunnel;

import java.lang.foreign.MemorySegment;

/** Receives the UDP payload of a VXLAN packet (the VXLAN header onwards) and the sender's VTEP. */
@FunctionalInterface
public interface VxlanReceiver
{
    void onVxlanPayload(int remoteVtepIp, MemorySegment payload, long offset, int length);

    /**
     * A train of UDP payloads from one sender (UDP GRO): {@code segmentSize} bytes each, the last
     * possibly shorter. By default each is handled alone; a receiver may coalesce them.
     */
    default void onVxlanTrain(final int remoteVtepIp, final MemorySegment payloads, final long offset, final int length,
        final int segmentSize)
    {
        for (long at = offset; at < offset + length; at += segmentSize)
        {
            onVxlanPayload(remoteVtepIp, payloads, at, (int)Math.min(segmentSize, offset + length - at));
        }
    }

    /**
     * {@code datagrams} VXLAN datagrams came from {@code senderIp} but not from a sender the underlay
     * believes (see {@link VtepSenders}): they were not delivered, and the receiver only counts them.
     */
    default void onForgedSender(final int senderIp, final int datagrams)
    {
    }
}
