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
    /**
     * Registers the receiver for a local VTEP; packets for it arrive on the underlay's thread. A
     * datagram reaches the receiver only from a sender the underlay believes ({@link VtepSenders}:
     * one of its own VTEPs' sending sockets, or an external peer off loopback); any other is handed
     * to {@link VxlanReceiver#onForgedSender} to be counted.
     */
    void bind(int localVtepIp, VxlanReceiver receiver);

    /**
     * The UDP source ports {@code localVtepIp} sends from (a copy; empty when it is not bound here,
     * or has no sockets): with its address, all a datagram from it can carry.
     */
    default int[] sourcePorts(final int localVtepIp)
    {
        return new int[0];
    }

    /**
     * Sends one encapsulated frame; called on the sending node's pipeline thread, memory valid
     * only during the call.
     *
     * @return false when it could not be sent.
     */
    boolean send(int localVtepIp, int remoteVtepIp, int sourcePort, MemorySegment outerFrame, long offset, int length);

    /** Whether {@link #sendTrain} is supported (UDP GSO): the tunnel then sends segment trains whole. */
    default boolean sendsTrains()
    {
        return false;
    }

    /**
     * Sends {@code segments} UDP payloads (VXLAN header + inner frame each) laid out back to back,
     * each {@code segmentSize} bytes but the last, which may be shorter — in one call where the
     * underlay can. Pipeline thread; memory valid only during the call.
     */
    default boolean sendTrain(final int localVtepIp, final int remoteVtepIp, final int sourcePort,
        final MemorySegment payloads, final long offset, final int length, final int segmentSize, final int segments)
    {
        throw new UnsupportedOperationException(this + " does not send trains");
    }

    /**
     * Whether the node's pipeline thread must fetch received packets through {@link #poll}
     * (instead of the underlay pushing them from a thread of its own).
     */
    default boolean isPolled()
    {
        return false;
    }

    /** Hands at most about {@code limit} received packets to the VTEP's receiver; returns how many. */
    default int poll(final int localVtepIp, final int limit)
    {
        return 0;
    }

    /** For a polled underlay: an fd readable when the VTEP has packets waiting; -1: none. */
    default int readinessFd(final int localVtepIp)
    {
        return -1;
    }

    /** Pushes out anything queued by {@link #send}; called once per pipeline batch. */
    void flush(int localVtepIp);

    /** Packets handed to {@link #send} and accepted, over all VTEPs. */
    long sentCount();

    /** Packets handed to a receiver, over all VTEPs; equal to {@link #sentCount()} when nothing is in flight. */
    long deliveredCount();

    @Override
    void close();
}
