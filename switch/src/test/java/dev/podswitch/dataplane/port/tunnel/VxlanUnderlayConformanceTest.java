package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.MalformedFrames;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link VxlanUnderlay} must do, run against each one by a subclass (as Netty's
 * {@code EpollSocketEchoTest extends SocketEchoTest}): carry frames between the tunnel ports of
 * two VTEPs byte for byte and name the sending VTEP, let the receiver drop a wrong VNI and an
 * unknown VTEP, carry every segment of a super-frame (as one GSO train where the underlay sends
 * trains, one by one where it does not), refuse to send from a VTEP it does not have, and give its
 * sockets back on close. And believe a sender only as far as its address can be trusted: a
 * datagram from a VTEP's address but another port, or from a loopback address with no VTEP here,
 * is what any process on the host can send, and is dropped and counted ({@code SPOOFED_VTEP})
 * however good its contents; the ports a VTEP sends from are its own, no other socket can take them. Pushed underlays deliver on a thread of their own and polled ones when
 * the tunnel port polls: the suite waits for both the same way, as a node's agent would run.
 *
 * <p>VTEPs are four addresses of a random 127.a.b.0/24 on UDP 4789, so parallel runs on one host
 * do not meet.
 */
abstract class VxlanUnderlayConformanceTest
{
    private static final int VNI = 0x00_0F00;
    private static final int CAPACITY = Frame.EMULATED_CAPACITY;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** A 1,500-byte IPv4 packet in an Ethernet frame: a full MTU-sized segment. */
    private static final int FULL_ECHO_DATA = 1500 - 20 - 8;

    private final int vtepBase = (127 << 24) | (ThreadLocalRandom.current().nextInt(2, 255) << 16)
        | (ThreadLocalRandom.current().nextInt(1, 255) << 8);
    private final int vtepA = vtepBase | 1;
    private final int vtepB = vtepBase | 2;
    /** Bound with another VNI, and a peer of B. */
    private final int vtepOtherVni = vtepBase | 3;
    /** Bound with the right VNI, and no peer of B. */
    private final int vtepStranger = vtepBase | 4;
    /** A peer of B in the table, bound nowhere in this underlay: on loopback, anybody can be it. */
    private final int vtepUnboundPeer = vtepBase | 5;

    private VxlanUnderlay underlay;
    private Node a;
    private Node b;

    /** A new underlay of the kind under test, on UDP 4789 where it uses sockets. */
    protected abstract VxlanUnderlay newUnderlay();

    /** Skips the suite (an assumption) where this underlay cannot run; by default it always can. */
    protected void assumeAvailable()
    {
    }

    /**
     * Sends {@code udpPayload} to {@code toVtep}'s VXLAN port as another process on the host would:
     * from {@code sourceIp} and a port none of the underlay's VTEPs sends from. By default from a
     * new kernel UDP socket on an ephemeral port.
     */
    protected void sendFromAnotherProcess(final VxlanUnderlay underlay, final int sourceIp, final int toVtep,
        final byte[] udpPayload) throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address(sourceIp), 0)))
        {
            socket.send(new DatagramPacket(udpPayload, udpPayload.length,
                new InetSocketAddress(address(toVtep), VxlanFlyweight.UDP_PORT)));
        }
    }

    /**
     * Whether another socket — with {@code SO_REUSEADDR}, as a process trying to share it would set
     * — can bind {@code ip}:{@code port} while the underlay runs. By default tried with a kernel UDP
     * socket.
     */
    protected boolean anotherSocketCanBind(final int ip, final int port) throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(null))
        {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address(ip), port));
            return true;
        }
        catch (final BindException held)
        {
            return false;
        }
    }

    private static InetAddress address(final int ip) throws IOException
    {
        return InetAddress.getByAddress(new byte[] {(byte)(ip >>> 24), (byte)(ip >>> 16), (byte)(ip >>> 8), (byte)ip});
    }

    /** One VTEP: its tunnel port, the ring it decapsulates into, and the ring's counters. */
    private record Node(int vtepIp, TunnelPort tunnel, FrameRing ring, DatapathCounters counters)
    {
    }

    private static Node bind(final VxlanUnderlay underlay, final int vtepIp, final int vni, final IntPredicate peers)
    {
        final DatapathCounters counters = new DatapathCounters();
        final FrameRing ring = new FrameRing(1024, CAPACITY, counters);
        return new Node(vtepIp, new TunnelPort(0, vtepIp, vni, CAPACITY, underlay, ring, counters, peers), ring,
            counters);
    }

    @BeforeEach
    void bindTwoVteps()
    {
        assumeAvailable();
        underlay = newUnderlay();
        a = bind(underlay, vtepA, VNI, vtep -> vtep == vtepB);
        b = bind(underlay, vtepB, VNI, vtep -> vtep == vtepA || vtep == vtepOtherVni || vtep == vtepUnboundPeer);
    }

    @AfterEach
    void closeUnderlay()
    {
        if (underlay != null)
        {
            underlay.close();
        }
    }

    /** An ICMP echo from a pod of A to a pod of B; {@code sequence} tells frames apart. */
    private static byte[] innerFrame(final int sequence, final int dataLength)
    {
        final byte[] data = new byte[dataLength];
        ThreadLocalRandom.current().nextBytes(data);
        return MalformedFrames.ipv4Frame(MalformedFrames.DEFAULT, 1, TestFrames.icmpEcho(8, 7, sequence, data));
    }

    private static boolean send(final Node from, final int toVtep, final byte[] inner)
    {
        return from.tunnel().send(MemorySegment.ofArray(inner), 0, inner.length, toVtep, 42);
    }

    /** A frame as the receiving ring holds it: the bytes and the VTEP that sent them. */
    private record Received(String hex, int fromVtep)
    {
    }

    /**
     * Runs the receiver as its node's agent would (poll the tunnel, drain the ring) until it holds
     * {@code frames} frames and counts {@code drops} drops, or the time is up.
     */
    private static List<Received> receive(final Node node, final int frames, final long drops)
    {
        final List<Received> received = new ArrayList<>();
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        while ((received.size() < frames || node.counters().droppedTotal() < drops)
            && System.nanoTime() - deadlineNs < 0)
        {
            final int polled = node.tunnel().poll(32);
            try
            {
                node.ring().drain((frame, sequence, endOfBatch) ->
                {
                    received.add(new Received(toHex(TestFrames.toBytes(frame.segment(), 0, frame.length())),
                        frame.tunnelSourceIp()));
                    return true;
                });
            }
            catch (final Exception unexpected)
            {
                throw new AssertionError(unexpected);
            }
            if (polled == 0)
            {
                Thread.onSpinWait();
            }
        }
        return received;
    }

    /** What was sent, as the receiver should see it: in any order (flows may take different sockets). */
    private static List<Received> expected(final List<byte[]> frames, final int fromVtep)
    {
        return frames.stream().map(frame -> new Received(toHex(frame), fromVtep))
            .sorted(Comparator.comparing(Received::hex)).toList();
    }

    private static List<Received> sorted(final List<Received> received)
    {
        return received.stream().sorted(Comparator.comparing(Received::hex)).toList();
    }

    @Test
    void shouldCarryFramesBothWaysByteForByteAndNameTheSenderWhenTwoVtepsAreBound()
    {
        final List<byte[]> toB = new ArrayList<>();
        final List<byte[]> toA = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            toB.add(innerFrame(i, i * 37));
            toA.add(innerFrame(100 + i, FULL_ECHO_DATA - i));
            assertTrue(send(a, vtepB, toB.getLast()), "A -> B " + i);
            assertTrue(send(b, vtepA, toA.getLast()), "B -> A " + i);
        }
        a.tunnel().flush();
        b.tunnel().flush();

        assertEquals(expected(toB, vtepA), sorted(receive(b, toB.size(), 0)));
        assertEquals(expected(toA, vtepB), sorted(receive(a, toA.size(), 0)));
        assertEquals(0, a.counters().droppedTotal() + b.counters().droppedTotal());
        assertEquals(40, underlay.sentCount());
        assertEquals(underlay.sentCount(), underlay.deliveredCount(), "nothing is in flight any more");
    }

    @Test
    void shouldLetTheReceiverDropAWrongVniAndAnUnknownVtepAndKeepDelivering()
    {
        final Node otherVni = bind(underlay, vtepOtherVni, VNI + 1, vtep -> vtep == vtepB);
        final Node stranger = bind(underlay, vtepStranger, VNI, vtep -> vtep == vtepB);
        assertTrue(send(otherVni, vtepB, innerFrame(1, 64)));
        assertTrue(send(stranger, vtepB, innerFrame(2, 64)));
        final byte[] good = innerFrame(3, 64);
        assertTrue(send(a, vtepB, good));
        otherVni.tunnel().flush();
        stranger.tunnel().flush();
        a.tunnel().flush();

        assertEquals(expected(List.of(good), vtepA), receive(b, 1, 2));
        assertEquals(2, b.counters().droppedCount(DropReason.BAD_TUNNEL_FRAME), b.counters().drops().toString());
        assertEquals(2, b.counters().droppedTotal(), b.counters().drops().toString());
    }

    /** A VXLAN datagram's UDP payload as a peer would send it: the I flag, our VNI, the inner frame. */
    private static byte[] vxlanPayload(final byte[] inner)
    {
        final byte[] payload = new byte[VxlanFlyweight.HEADER_LENGTH + inner.length];
        new VxlanFlyweight().wrap(MemorySegment.ofArray(payload), 0).init(VNI);
        System.arraycopy(inner, 0, payload, VxlanFlyweight.HEADER_LENGTH, inner.length);
        return payload;
    }

    @Test
    void shouldDropAndCountADatagramFromAPeersAddressWhenItComesFromAnotherPort() throws IOException
    {
        sendFromAnotherProcess(underlay, vtepA, vtepB, vxlanPayload(innerFrame(1, 64)));
        final byte[] good = innerFrame(2, 64);
        assertTrue(send(a, vtepB, good));
        a.tunnel().flush();

        assertEquals(expected(List.of(good), vtepA), receive(b, 1, 1), "only A's own datagram arrives");
        assertEquals(1, b.counters().droppedCount(DropReason.SPOOFED_VTEP), b.counters().drops().toString());
        assertEquals(1, b.counters().droppedTotal(), b.counters().drops().toString());
        assertEquals(underlay.sentCount(), underlay.deliveredCount(), "the forged datagram was never delivered");
    }

    @Test
    void shouldDropAndCountADatagramFromALoopbackPeerWhenNoVtepHereHasItsAddress() throws IOException
    {
        // The table calls it a peer, but every loopback address is local: anyone can send from it.
        sendFromAnotherProcess(underlay, vtepUnboundPeer, vtepB, vxlanPayload(innerFrame(1, 64)));

        assertEquals(List.of(), receive(b, 0, 1));
        assertEquals(1, b.counters().droppedCount(DropReason.SPOOFED_VTEP), b.counters().drops().toString());
        assertEquals(1, b.counters().droppedTotal(), b.counters().drops().toString());
    }

    @Test
    void shouldHoldEveryPortItSendsFromWhenAnotherSocketTriesToTakeOne() throws IOException
    {
        final int[] ports = underlay.sourcePorts(vtepA);
        assertTrue(ports.length > 0, "A sends from some port");
        assertEquals(ports.length, Arrays.stream(ports).distinct().count(), "one port per sending socket");
        assertArrayEquals(new int[0], underlay.sourcePorts(vtepStranger + 100), "no VTEP, no ports");
        for (final int port : ports)
        {
            assertFalse(anotherSocketCanBind(vtepA, port), "A's address and port " + port);
            assertFalse(anotherSocketCanBind(0, port), "any address and port " + port);
        }
    }

    @Test
    void shouldDeliverEverySegmentOfASuperFrameWhenSentAsATrainOrOneByOne()
    {
        final List<byte[]> segments = List.of(innerFrame(1, FULL_ECHO_DATA), innerFrame(2, FULL_ECHO_DATA),
            innerFrame(3, FULL_ECHO_DATA), innerFrame(4, 600));
        if (a.tunnel().sendsTrains())
        {
            a.tunnel().beginTrain(vtepB, 42);
            for (final byte[] segment : segments)
            {
                assertTrue(a.tunnel().appendToTrain(MemorySegment.ofArray(segment), 0, segment.length));
            }
            assertTrue(a.tunnel().endTrain());
        }
        else
        {
            for (final byte[] segment : segments)
            {
                assertTrue(send(a, vtepB, segment));
            }
        }
        a.tunnel().flush();

        assertEquals(expected(segments, vtepA), sorted(receive(b, segments.size(), 0)));
        assertEquals(0, b.counters().droppedTotal(), b.counters().drops().toString());
        assertEquals(segments.size(), underlay.sentCount(), "a train counts as its segments");
    }

    @Test
    void shouldRefuseToSendFromAVtepItDoesNotHave()
    {
        final byte[] outer = new byte[TunnelPort.OUTER_UDP_PAYLOAD_OFFSET + 8 + 64];
        assertFalse(underlay.send(vtepStranger, vtepB, 50_000, MemorySegment.ofArray(outer), 0, outer.length));
        assertEquals(0, underlay.sentCount());
    }

    @Test
    void shouldOfferAReadinessFdExactlyWhenItIsPolled()
    {
        if (underlay.isPolled())
        {
            assertTrue(underlay.readinessFd(vtepA) >= 0);
            assertTrue(a.tunnel().readinessFd() >= 0);
            assertEquals(-1, underlay.readinessFd(vtepStranger), "no VTEP, no fd");
        }
        else
        {
            assertEquals(-1, a.tunnel().readinessFd());
            assertEquals(0, a.tunnel().poll(32), "a pushed underlay has nothing to poll");
        }
    }

    @Test
    void shouldGiveItsSocketsBackAndRefuseToSendWhenClosed()
    {
        underlay.close();
        assertFalse(send(a, vtepB, innerFrame(1, 64)), "a closed underlay sends nothing");

        // The same VTEPs bind again at once: the addresses and ports were released.
        underlay = newUnderlay();
        a = bind(underlay, vtepA, VNI, vtep -> vtep == vtepB);
        b = bind(underlay, vtepB, VNI, vtep -> vtep == vtepA);
        final byte[] inner = innerFrame(2, 64);
        assertTrue(send(a, vtepB, inner));
        a.tunnel().flush();
        assertEquals(expected(List.of(inner), vtepA), receive(b, 1, 0));
    }
}
