package dev.podswitch.dataplane.port.tunnel;

import java.lang.foreign.MemorySegment;

/**
 * The network between VTEPs. {@link TunnelPort} hands it complete outer frames (Ethernet, IPv4,
 * UDP, VXLAN, inner frame) so that every underlay carries the same bytes a kernel VXLAN device
 * would put on the wire; an underlay backed by UDP sockets sends only the UDP payload and lets
 * the kernel add the outer headers.
 */
public interface VxlanUnderlay extends AutoCloseable
{
    /** Registers the receiver for a local VTEP; packets for it arrive on the underlay's thread. */
    void bind(int localVtepIp, VxlanReceiver receiver);

    /**
     * Sends one encapsulated frame; called on the sending node's pipeline thread, memory valid
     * only during the call.
     *
     * @return false when it could not be sent.
     */
    boolean send(int localVtepIp, int remoteVtepIp, int sourcePort, MemorySegment outerFrame, long offset, int length);

    /** Pushes out anything queued by {@link #send}; called once per pipeline batch. */
    void flush(int localVtepIp);

    /** Packets handed to {@link #send} and accepted, over all VTEPs. */
    long sentCount();

    /** Packets handed to a receiver, over all VTEPs; equal to {@link #sentCount()} when nothing is in flight. */
    long deliveredCount();

    @Override
    void close();
}
