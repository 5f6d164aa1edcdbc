package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.util.IntHashMap;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An in-process underlay: a send is delivered at once, on the sender's thread, to the receiver
 * bound to the outer destination IP — after checking the outer headers a kernel would check. It
 * makes multi-node runs deterministic (nothing is ever in flight between calls) and is what
 * benchmarks of encapsulation use. Bind all VTEPs before traffic starts.
 *
 * <p>Senders it believes: as the socket underlays, so that one conformance suite holds for all.
 * Each VTEP "sends from" {@value #SENDERS_PER_VTEP} ports, as their pools of sockets do (stand-ins
 * for the ephemeral ports those get), the flow's source port picking one; {@link #deliverFrom}
 * plays a datagram from anything else on the host, and the same rule ({@link VtepSenders}) decides
 * whether the receiver gets it or only counts it.
 */
public final class MemoryUnderlay implements VxlanUnderlay
{
    private final Map<Integer, VxlanReceiver> receivers = new HashMap<>();
    private volatile IntHashMap<VxlanReceiver> receiverByVtep = new IntHashMap<>(4);
    /**
     * Per sending VTEP: packets sent, delivered, lost. Each is written only by the thread of the
     * node that owns the VTEP (delivery happens on the sender's thread), so an ordered store
     * suffices — no locked instruction per packet, no cache line shared between node threads.
     */
    private volatile IntHashMap<AtomicLongArray> countersByVtep = new IntHashMap<>(4);
    private final Map<Integer, AtomicLongArray> counters = new HashMap<>();
    static final int SENDERS_PER_VTEP = 8;
    /** Where the stand-in source ports start: the bottom of Linux's default ephemeral range. */
    private static final int FIRST_SOURCE_PORT = 32_768;
    private final VtepSenders believed = new VtepSenders();
    private static final int SENT = 0;
    private static final int DELIVERED = 1;
    private static final int LOST = 2;

    @Override
    public synchronized void bind(final int localVtepIp, final VxlanReceiver receiver)
    {
        // Copy on write: bindings change when nodes join, never per packet.
        receivers.put(localVtepIp, receiver);
        final IntHashMap<VxlanReceiver> updated = new IntHashMap<>(receivers.size());
        receivers.forEach(updated::put);
        receiverByVtep = updated;
        final int[] sourcePorts = new int[SENDERS_PER_VTEP];
        for (int i = 0; i < sourcePorts.length; i++)
        {
            sourcePorts[i] = FIRST_SOURCE_PORT + i;
        }
        believed.add(localVtepIp, sourcePorts);
        counters.computeIfAbsent(localVtepIp, vtep -> new AtomicLongArray(3));
        final IntHashMap<AtomicLongArray> updatedCounters = new IntHashMap<>(counters.size());
        counters.forEach(updatedCounters::put);
        countersByVtep = updatedCounters;
    }

    @Override
    public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort, final MemorySegment outerFrame,
        final long offset, final int length)
    {
        final AtomicLongArray mine = countersByVtep.get(localVtepIp);
        if (mine == null)
        {
            return false;
        }
        increment(mine, SENT);
        final long udpOffset = offset + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH;
        final VxlanReceiver receiver = receiverByVtep.get(remoteVtepIp);
        if (receiver == null
            || PacketBytes.getI32(outerFrame, offset + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.DESTINATION_OFFSET) != remoteVtepIp
            || PacketBytes.getU16(outerFrame, udpOffset + UdpFlyweight.DESTINATION_PORT_OFFSET) != VxlanFlyweight.UDP_PORT)
        {
            // Like a datagram to a host with no listener: gone, and nobody is told.
            increment(mine, LOST);
            return true;
        }
        final long payloadOffset = udpOffset + UdpFlyweight.HEADER_LENGTH;
        // From one of the sending VTEP's own ports (FIRST_SOURCE_PORT + sourcePort % SENDERS_PER_VTEP):
        // believed by construction, as a socket underlay's own datagrams are.
        receiver.onVxlanPayload(localVtepIp, outerFrame, payloadOffset, length - (int)(payloadOffset - offset));
        increment(mine, DELIVERED);
        return true;
    }

    /**
     * A datagram that something other than podswitch sent from {@code sourceIp}:{@code sourcePort}
     * to {@code destinationIp}'s VXLAN port, carrying {@code length} bytes of UDP payload (VXLAN
     * header onwards): what a socket underlay receives when another process on the host sends to a
     * VTEP. Handed to the receiver — or, from a sender this underlay does not believe, only
     * reported to it — on the caller's thread. Counted neither as sent nor as delivered.
     *
     * @return false when nothing is bound at {@code destinationIp}.
     */
    public boolean deliverFrom(final int sourceIp, final int sourcePort, final int destinationIp,
        final MemorySegment payload, final long offset, final int length)
    {
        final VxlanReceiver receiver = receiverByVtep.get(destinationIp);
        if (receiver == null)
        {
            return false;
        }
        if (believed.admits(sourceIp, sourcePort))
        {
            receiver.onVxlanPayload(sourceIp, payload, offset, length);
        }
        else
        {
            receiver.onForgedSender(sourceIp, 1);
        }
        return true;
    }

    @Override
    public int[] sourcePorts(final int localVtepIp)
    {
        return believed.portsOf(localVtepIp);
    }

    @Override
    public void flush(final int localVtepIp)
    {
    }

    private static void increment(final AtomicLongArray values, final int index)
    {
        values.lazySet(index, values.get(index) + 1);
    }

    private synchronized long sum(final int index)
    {
        long total = 0;
        for (final AtomicLongArray values : counters.values())
        {
            total += values.get(index);
        }
        return total;
    }

    @Override
    public long sentCount()
    {
        return sum(SENT) - sum(LOST);
    }

    @Override
    public long deliveredCount()
    {
        return sum(DELIVERED);
    }

    /** Nothing to release but the bindings: a closed underlay refuses sends, as the socket ones do. */
    @Override
    public synchronized void close()
    {
        receivers.clear();
        believed.clear();
        receiverByVtep = new IntHashMap<>(1);
        countersByVtep = new IntHashMap<>(1);
    }
}
