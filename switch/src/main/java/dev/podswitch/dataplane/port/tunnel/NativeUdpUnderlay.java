package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.util.Closeables;
import dev.podswitch.util.IntHashMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The UDP underlay on kernel sockets driven straight through the FFM API, with no thread of its
 * own: each VTEP binds its IP on UDP 4789 (with UDP GRO) and the node's pipeline thread both sends
 * — {@code sendmsg} right from the forwarding path, a segmented TCP super-frame as one UDP GSO
 * train — and receives, polling the socket like a TAP port ({@link TunnelPort#poll}). So a frame
 * never changes threads inside podswitch, and a 64 KiB super-frame costs one send and (on
 * loopback, where the kernel hands GSO trains over whole) one receive instead of ~45 of each.
 *
 * <p>Outer source ports: a kernel UDP socket has one source port, so each VTEP sends from a small
 * pool of sockets and the flow hash picks one — flows spread over
 * {@value #SENDERS_PER_VTEP} ports, as RFC 7348 §5 asks for ECMP.
 *
 * <p>Senders it believes: a datagram from one of this underlay's VTEP addresses is taken only from
 * one of that VTEP's sending sockets' ports, and one from any other loopback address not at all
 * (it is counted by the receiver as forged); an external peer off loopback is believed on its
 * address — see {@link VtepSenders} for why, and why not a namespace of its own.
 *
 * <p>Counters are single-writer per VTEP (its pipeline thread), read by any thread.
 */
public final class NativeUdpUnderlay implements VxlanUnderlay
{
    static final int SENDERS_PER_VTEP = 8;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    private static final int SENT = 0;
    private static final int DELIVERED = 1;
    private static final int SEND_FAILED = 2;
    private static final int RECEIVE_ERRORS = 3;
    private static final Throwable UNAVAILABILITY_CAUSE = probe();

    private final int port;
    private final VtepSenders believed = new VtepSenders();
    private final Map<Integer, Vtep> byIp = new HashMap<>();
    private volatile IntHashMap<Vtep> vteps = new IntHashMap<>(4);

    private record Vtep(int ip, UdpSocket receiver, UdpSocket[] senders, VxlanReceiver target,
        MemorySegment receiveBuffer, AtomicLongArray counters)
    {
    }

    /** @param port the UDP port every VTEP listens on: 4789 in production, another for parallel tests. */
    public NativeUdpUnderlay(final int port)
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("native UDP sockets are unavailable: " + UNAVAILABILITY_CAUSE.getMessage(),
                UNAVAILABILITY_CAUSE);
        }
        this.port = port;
    }

    public NativeUdpUnderlay()
    {
        this(VxlanFlyweight.UDP_PORT);
    }

    /** Whether this platform has the sockets (Linux x86_64); else use {@link EpollUnderlay}. */
    public static boolean isAvailable()
    {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why the sockets cannot be used here, or null when {@link #isAvailable()}. */
    public static Throwable unavailabilityCause()
    {
        return UNAVAILABILITY_CAUSE;
    }

    private static Throwable probe()
    {
        final UnsupportedOperationException platform = dev.podswitch.dataplane.port.linux.LinuxLibc.unsupportedPlatform();
        if (platform != null)
        {
            return platform;
        }
        try
        {
            final Object linked = dev.podswitch.dataplane.port.linux.LinuxLibc.RECVMSG;
            return linked == null ? new UnsupportedOperationException("libc recvmsg not linked") : null;
        }
        catch (final RuntimeException | LinkageError cause)
        {
            return cause;
        }
    }

    @Override
    public synchronized void bind(final int localVtepIp, final VxlanReceiver receiver)
    {
        final UdpSocket listening = UdpSocket.open(localVtepIp, port, true, SOCKET_BUFFER_BYTES);
        final UdpSocket[] senders = new UdpSocket[SENDERS_PER_VTEP];
        try
        {
            for (int i = 0; i < senders.length; i++)
            {
                senders[i] = UdpSocket.open(localVtepIp, 0, false, SOCKET_BUFFER_BYTES);
            }
        }
        catch (final RuntimeException failed)
        {
            Closeables.closeQuietly(listening, failed);
            for (final UdpSocket sender : senders)
            {
                Closeables.closeQuietly(sender, failed);
            }
            throw failed;
        }
        // A GRO train is at most one maximal UDP payload.
        final MemorySegment buffer = Arena.ofAuto().allocate(UdpSocket.MAX_PAYLOAD + 64, 64);
        final int[] sourcePorts = new int[senders.length];
        for (int i = 0; i < senders.length; i++)
        {
            sourcePorts[i] = senders[i].localPort();
        }
        believed.add(localVtepIp, sourcePorts);
        byIp.put(localVtepIp, new Vtep(localVtepIp, listening, senders, receiver, buffer, new AtomicLongArray(4)));
        final IntHashMap<Vtep> updated = new IntHashMap<>(byIp.size());
        byIp.forEach(updated::put);
        vteps = updated;
    }

    @Override
    public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort, final MemorySegment outerFrame,
        final long offset, final int length)
    {
        final Vtep vtep = vteps.get(localVtepIp);
        if (vtep == null)
        {
            return false;
        }
        final boolean sent = vtep.senders[sourcePort % SENDERS_PER_VTEP].send(remoteVtepIp, port, outerFrame,
            offset + TunnelPort.OUTER_UDP_PAYLOAD_OFFSET, length - TunnelPort.OUTER_UDP_PAYLOAD_OFFSET, 0);
        increment(vtep.counters, sent ? SENT : SEND_FAILED, 1);
        return sent;
    }

    @Override
    public boolean sendsTrains()
    {
        return true;
    }

    @Override
    public boolean sendTrain(final int localVtepIp, final int remoteVtepIp, final int sourcePort,
        final MemorySegment payloads, final long offset, final int length, final int segmentSize, final int segments)
    {
        final Vtep vtep = vteps.get(localVtepIp);
        if (vtep == null)
        {
            return false;
        }
        final boolean sent = vtep.senders[sourcePort % SENDERS_PER_VTEP].send(remoteVtepIp, port, payloads, offset,
            length, segments > 1 ? segmentSize : 0);
        increment(vtep.counters, sent ? SENT : SEND_FAILED, segments);
        return sent;
    }

    @Override
    public boolean isPolled()
    {
        return true;
    }

    @Override
    public int poll(final int localVtepIp, final int limit)
    {
        final Vtep vtep = vteps.get(localVtepIp);
        if (vtep == null)
        {
            return 0;
        }
        int datagrams = 0;
        int rejected = 0;
        while (datagrams < limit)
        {
            final int received = vtep.receiver.receive(vtep.receiveBuffer);
            if (received < 0)
            {
                if (received == UdpSocket.ERROR)
                {
                    increment(vtep.counters, RECEIVE_ERRORS, 1);
                }
                break;
            }
            final int segmentSize = vtep.receiver.lastSegmentSize();
            final int senderIp = vtep.receiver.lastSenderIp();
            final int trainLength = segmentSize <= 0 || segmentSize >= received ? 1
                : (received + segmentSize - 1) / segmentSize;
            if (!believed.admits(senderIp, vtep.receiver.lastSenderPort()))
            {
                // A GRO train comes from one socket: one sender for all of its datagrams.
                vtep.target.onForgedSender(senderIp, trainLength);
                rejected += trainLength;
            }
            else if (trainLength == 1)
            {
                vtep.target.onVxlanPayload(senderIp, vtep.receiveBuffer, 0, received);
            }
            else
            {
                vtep.target.onVxlanTrain(senderIp, vtep.receiveBuffer, 0, received, segmentSize);
            }
            datagrams += trainLength;
        }
        if (datagrams > rejected)
        {
            increment(vtep.counters, DELIVERED, datagrams - rejected);
        }
        return datagrams;
    }

    @Override
    public int[] sourcePorts(final int localVtepIp)
    {
        return believed.portsOf(localVtepIp);
    }

    @Override
    public int readinessFd(final int localVtepIp)
    {
        final Vtep vtep = vteps.get(localVtepIp);
        return vtep == null ? -1 : vtep.receiver.fd();
    }

    @Override
    public void flush(final int localVtepIp)
    {
        // Every send went out at once (sendmsg); nothing is queued.
    }

    private static void increment(final AtomicLongArray values, final int index, final int by)
    {
        values.lazySet(index, values.get(index) + by);
    }

    private long sum(final int index)
    {
        long total = 0;
        for (final Vtep vtep : snapshot())
        {
            total += vtep.counters.get(index);
        }
        return total;
    }

    private synchronized Vtep[] snapshot()
    {
        return byIp.values().toArray(Vtep[]::new);
    }

    @Override
    public long sentCount()
    {
        return sum(SENT);
    }

    @Override
    public long deliveredCount()
    {
        return sum(DELIVERED);
    }

    /** Sends the kernel refused (socket buffer full, no route). */
    public long sendFailedCount()
    {
        return sum(SEND_FAILED);
    }

    @Override
    public synchronized void close()
    {
        for (final Vtep vtep : byIp.values())
        {
            vtep.receiver.close();
            for (final UdpSocket sender : vtep.senders)
            {
                sender.close();
            }
        }
        byIp.clear();
        believed.clear();
        vteps = new IntHashMap<>(1);
    }

    @Override
    public String toString()
    {
        return "NativeUdpUnderlay{port=" + port + ", vteps=" + byIp.size() + "}";
    }
}
