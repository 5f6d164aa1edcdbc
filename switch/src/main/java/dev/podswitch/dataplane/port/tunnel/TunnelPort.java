package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.capture.FrameMirror;
import dev.podswitch.dataplane.offload.TcpCoalescer;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;
import dev.podswitch.dataplane.packet.VxlanFlyweight;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntPredicate;

/**
 * A node's VXLAN tunnel endpoint (RFC 7348): encapsulates frames for other nodes' pods and hosts
 * and decapsulates what they send. The inner frame is carried untouched — no NAT — and the outer
 * UDP source port is a hash of the inner flow, as RFC 7348 §5 recommends, so that an underlay
 * with ECMP spreads flows.
 *
 * <p>Encapsulation runs on the node's pipeline thread (one scratch buffer, no allocation);
 * decapsulation runs on the underlay's receive thread and only copies the inner frame into the
 * node's ring.
 *
 * <p>Which VTEPs are peers is the forwarding table's to say, but the tunnel asks through an
 * {@link IntPredicate} the node gives it rather than reading the table: the forward stage sends
 * into the tunnel, so the dependency points from {@code forward} to {@code port.tunnel} only.
 */
public final class TunnelPort implements VxlanReceiver
{
    public static final int OUTER_UDP_PAYLOAD_OFFSET = EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH
        + UdpFlyweight.HEADER_LENGTH;
    private static final int SOURCE_PORT_BASE = 49152;
    private static final int SOURCE_PORT_MASK = 0x3FFF;

    private final int id;
    private final int localVtepIp;
    private final int vni;
    private final VxlanUnderlay underlay;
    private final FrameRing ring;
    private final DatapathCounters counters;
    private final IntPredicate isPeerVtep;
    private final MemorySegment scratch;
    private final VxlanOuterHeaders outerHeaders = new VxlanOuterHeaders();
    private final VxlanFlyweight vxlanOut = new VxlanFlyweight();
    private final VxlanFlyweight vxlanIn = new VxlanFlyweight();
    private int identification;
    private volatile FrameMirror mirror;
    private long nowNs;
    /** UDP GSO limits: one maximal UDP payload, and the segment count older kernels accept. */
    private static final int TRAIN_CAPACITY = 65_507;
    private static final int TRAIN_SEGMENTS = 64;
    private final boolean pollsUnderlay;
    private final MemorySegment train;
    private int trainRemoteVtepIp;
    private int trainSourcePort;
    private int trainLength;
    private int trainSegments;
    private int trainSegmentSize;
    private boolean trainClosed;
    private boolean trainFailed;
    private long trainFallbacks;
    private final TcpCoalescer coalescer;
    private final TcpCoalescer.Output intoRing;
    private int trainSourceVtepIp;

    /**
     * @param isPeerVtep whether a VTEP is a peer of the current forwarding table: packets from any
     *                   other are dropped as {@code BAD_TUNNEL_FRAME}. Asked per received packet on
     *                   the receiving thread, so it reads the table's current version without locking.
     */
    public TunnelPort(final int id, final int localVtepIp, final int vni, final int frameCapacity,
        final VxlanUnderlay underlay, final FrameRing ring, final DatapathCounters counters,
        final IntPredicate isPeerVtep)
    {
        this.id = id;
        this.localVtepIp = localVtepIp;
        this.vni = vni;
        this.underlay = underlay;
        this.ring = ring;
        this.counters = counters;
        this.isPeerVtep = isPeerVtep;
        this.scratch = Arena.ofAuto().allocate(frameCapacity + VxlanFlyweight.ENCAPSULATION_OVERHEAD, 64);
        this.train = underlay.sendsTrains() ? Arena.ofAuto().allocate(TRAIN_CAPACITY, 64) : MemorySegment.NULL;
        this.pollsUnderlay = underlay.isPolled();
        this.coalescer = new TcpCoalescer(frameCapacity);
        this.intoRing = (frame, frameOffset, frameLength, offload) ->
            ring.offer(id, trainSourceVtepIp, frame, frameOffset, frameLength, offload);
        underlay.bind(localVtepIp, this);
    }

    public int id()
    {
        return id;
    }

    public int localVtepIp()
    {
        return localVtepIp;
    }

    /** The outer UDP source port for a flow: stable per flow, spread over 49152–65535. */
    public static int sourcePortFor(final int flowHash)
    {
        final int mixed = flowHash * 0x9E3779B9;
        return SOURCE_PORT_BASE + ((mixed ^ (mixed >>> 15)) & SOURCE_PORT_MASK);
    }

    /** Encapsulates an inner frame for {@code remoteVtepIp}; false when the underlay refused it. */
    public boolean send(final MemorySegment inner, final long offset, final int length, final int remoteVtepIp,
        final int flowHash)
    {
        if (length + VxlanFlyweight.ENCAPSULATION_OVERHEAD > scratch.byteSize())
        {
            return false;
        }
        final int sourcePort = sourcePortFor(flowHash);
        final int outerLength = encapsulate(inner, offset, length, remoteVtepIp, sourcePort);
        final FrameMirror watching = mirror;
        if (watching != null)
        {
            watching.transmitted(scratch, 0, outerLength, nowNs);
        }
        return underlay.send(localVtepIp, remoteVtepIp, sourcePort, scratch, 0, outerLength);
    }

    /** Builds the whole outer frame (Ethernet, IPv4, UDP, VXLAN, inner) in the scratch buffer; returns its length. */
    private int encapsulate(final MemorySegment inner, final long offset, final int length, final int remoteVtepIp,
        final int sourcePort)
    {
        outerHeaders.write(scratch, 0, localVtepIp, remoteVtepIp, sourcePort, vni, length, identification++);
        MemorySegment.copy(inner, offset, scratch, VxlanOuterHeaders.LENGTH, length);
        return VxlanOuterHeaders.LENGTH + length;
    }

    /** Whether segments of one super-frame go out as one train ({@link #beginTrain}) rather than one by one. */
    public boolean sendsTrains()
    {
        return underlay.sendsTrains();
    }

    /** Starts a train of segments of one flow for {@code remoteVtepIp} (pipeline thread). */
    public void beginTrain(final int remoteVtepIp, final int flowHash)
    {
        trainRemoteVtepIp = remoteVtepIp;
        trainSourcePort = sourcePortFor(flowHash);
        trainLength = 0;
        trainSegments = 0;
        trainClosed = false;
        trainFailed = false;
    }

    /**
     * Adds one inner frame to the train. A train carries equal-sized payloads but for a shorter last
     * one, at most {@link #TRAIN_CAPACITY} bytes and {@link #TRAIN_SEGMENTS} of them: one that would
     * break that sends the train so far and starts the next.
     */
    public boolean appendToTrain(final MemorySegment inner, final long offset, final int length)
    {
        final int payloadLength = VxlanFlyweight.HEADER_LENGTH + length;
        if (payloadLength > TRAIN_CAPACITY)
        {
            trainFailed = true;
            return false;
        }
        if (trainSegments > 0 && (trainClosed || payloadLength > trainSegmentSize
            || trainLength + payloadLength > TRAIN_CAPACITY || trainSegments == TRAIN_SEGMENTS))
        {
            sendTrain();
        }
        if (trainSegments == 0)
        {
            trainSegmentSize = payloadLength;
        }
        else if (payloadLength < trainSegmentSize)
        {
            trainClosed = true;
        }
        vxlanOut.wrap(train, trainLength).init(vni);
        MemorySegment.copy(inner, offset, train, trainLength + VxlanFlyweight.HEADER_LENGTH, length);
        trainLength += payloadLength;
        trainSegments++;
        final FrameMirror watching = mirror;
        if (watching != null)
        {
            watching.transmitted(scratch, 0, encapsulate(inner, offset, length, trainRemoteVtepIp, trainSourcePort),
                nowNs);
        }
        return true;
    }

    /** Sends what is left of the train; false when any part of it could not be sent. */
    public boolean endTrain()
    {
        if (trainSegments > 0)
        {
            sendTrain();
        }
        return !trainFailed;
    }

    private void sendTrain()
    {
        if (!underlay.sendTrain(localVtepIp, trainRemoteVtepIp, trainSourcePort, train, 0, trainLength,
            trainSegmentSize, trainSegments))
        {
            // The kernel refuses a GSO train it cannot send whole (EMSGSIZE when a segment exceeds the
            // path MTU), where single datagrams would still go out (fragmented if need be): send them so.
            for (int at = 0; at < trainLength; at += trainSegmentSize)
            {
                final int payloadLength = Math.min(trainSegmentSize, trainLength - at);
                final int outerLength = encapsulate(train, at + VxlanFlyweight.HEADER_LENGTH,
                    payloadLength - VxlanFlyweight.HEADER_LENGTH, trainRemoteVtepIp, trainSourcePort);
                trainFailed |= !underlay.send(localVtepIp, trainRemoteVtepIp, trainSourcePort, scratch, 0, outerLength);
            }
            trainFallbacks++;
        }
        trainLength = 0;
        trainSegments = 0;
        trainClosed = false;
    }

    /** An fd readable when the tunnel has packets to poll, or -1 (the underlay pushes them). */
    public int readinessFd()
    {
        return pollsUnderlay ? underlay.readinessFd(localVtepIp) : -1;
    }

    /** Trains the underlay refused and that went out as single datagrams instead. */
    public long trainFallbackCount()
    {
        return trainFallbacks;
    }

    /** Fetches received packets when the underlay is polled (pipeline thread); returns how many. */
    public int poll(final int limit)
    {
        return pollsUnderlay ? underlay.poll(localVtepIp, limit) : 0;
    }

    /** Shows every encapsulated frame this port sends to {@code mirror} (null: stop); see {@link FrameMirror}. */
    public void mirror(final FrameMirror mirror)
    {
        this.mirror = mirror;
    }

    /** The pipeline's clock for the current batch (pipeline thread), for mirrored frames' timestamps. */
    public void now(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    public void flush()
    {
        underlay.flush(localVtepIp);
    }

    @Override
    public void onVxlanPayload(final int remoteVtepIp, final MemorySegment payload, final long offset, final int length)
    {
        if (length < VxlanFlyweight.HEADER_LENGTH + EthernetFlyweight.HEADER_LENGTH)
        {
            dropBadTunnelFrame();
            return;
        }
        vxlanIn.wrap(payload, offset);
        if (!vxlanIn.isVniValid() || vxlanIn.vni() != vni || !isPeerVtep.test(remoteVtepIp))
        {
            dropBadTunnelFrame();
            return;
        }
        ring.offer(id, remoteVtepIp, payload, offset + VxlanFlyweight.HEADER_LENGTH, length - VxlanFlyweight.HEADER_LENGTH);
    }

    /**
     * A UDP GRO train of VXLAN packets from one VTEP: each is checked as {@link #onVxlanPayload}
     * does, and consecutive TCP segments of one flow are merged into super-frames on the way into
     * the ring ({@link TcpCoalescer}), so the pipeline and the pod's TAP see one frame, not ~45.
     */
    @Override
    public void onVxlanTrain(final int remoteVtepIp, final MemorySegment payloads, final long offset, final int length,
        final int segmentSize)
    {
        if (!isPeerVtep.test(remoteVtepIp))
        {
            for (long at = offset; at < offset + length; at += segmentSize)
            {
                dropBadTunnelFrame();
            }
            return;
        }
        trainSourceVtepIp = remoteVtepIp;
        for (long at = offset; at < offset + length; at += segmentSize)
        {
            final int datagram = (int)Math.min(segmentSize, offset + length - at);
            if (datagram < VxlanFlyweight.HEADER_LENGTH + EthernetFlyweight.HEADER_LENGTH)
            {
                dropBadTunnelFrame();
                continue;
            }
            vxlanIn.wrap(payloads, at);
            if (!vxlanIn.isVniValid() || vxlanIn.vni() != vni)
            {
                dropBadTunnelFrame();
                continue;
            }
            coalescer.accept(payloads, at + VxlanFlyweight.HEADER_LENGTH, datagram - VxlanFlyweight.HEADER_LENGTH,
                intoRing);
        }
        coalescer.flush(intoRing);
    }

    /**
     * Datagrams the underlay refused to believe came from the VTEP their address names (see
     * {@link VtepSenders}): one {@code SPOOFED_VTEP} drop each, nothing of them read.
     */
    @Override
    public void onForgedSender(final int senderIp, final int datagrams)
    {
        for (int i = 0; i < datagrams; i++)
        {
            counters.droppedAtReceive(DropReason.SPOOFED_VTEP);
        }
    }

    /** Merging received segments into super-frames (for its counters). */
    public TcpCoalescer coalescer()
    {
        return coalescer;
    }

    private void dropBadTunnelFrame()
    {
        counters.droppedAtReceive(DropReason.BAD_TUNNEL_FRAME);
    }
}
