package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.forward.IntHashMap;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process underlay: a send is delivered at once, on the sender's thread, to the receiver
 * bound to the outer destination IP — after checking the outer headers a kernel would check. It
 * makes multi-node runs deterministic (nothing is ever in flight between calls) and is what
 * benchmarks of encapsulation use. Bind all VTEPs before traffic starts.
 */
public final class MemoryUnderlay implements VxlanUnderlay
{
    private final Map<Integer, VxlanReceiver> receivers = new HashMap<>();
    private volatile IntHashMap<VxlanReceiver> receiverByVtep = new IntHashMap<>(4);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();

    @Override
    public synchronized void bind(final int localVtepIp, final VxlanReceiver receiver)
    {
        // Copy on write: bindings change when nodes join, never per packet.
        receivers.put(localVtepIp, receiver);
        final IntHashMap<VxlanReceiver> updated = new IntHashMap<>(receivers.size());
        receivers.forEach(updated::put);
        receiverByVtep = updated;
    }

    @Override
    public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort, final MemorySegment outerFrame,
        final long offset, final int length)
    {
        sent.incrementAndGet();
        final long udpOffset = offset + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH;
        final VxlanReceiver receiver = receiverByVtep.get(remoteVtepIp);
        if (receiver == null
            || PacketBytes.getI32(outerFrame, offset + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.DESTINATION_OFFSET) != remoteVtepIp
            || PacketBytes.getU16(outerFrame, udpOffset + UdpFlyweight.DESTINATION_PORT_OFFSET) != VxlanFlyweight.UDP_PORT)
        {
            // Like a datagram to a host with no listener: gone, and nobody is told.
            lost.incrementAndGet();
            return true;
        }
        final long payloadOffset = udpOffset + UdpFlyweight.HEADER_LENGTH;
        receiver.onVxlanPayload(localVtepIp, outerFrame, payloadOffset, length - (int)(payloadOffset - offset));
        delivered.incrementAndGet();
        return true;
    }

    @Override
    public void flush(final int localVtepIp)
    {
    }

    @Override
    public long sentCount()
    {
        return sent.get() - lost.get();
    }

    @Override
    public long deliveredCount()
    {
        return delivered.get();
    }

    @Override
    public void close()
    {
    }
}
