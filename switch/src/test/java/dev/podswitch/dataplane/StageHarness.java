package dev.podswitch.dataplane;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;
import dev.podswitch.dataplane.port.tunnel.VxlanOuterHeaders;
import dev.podswitch.dataplane.port.tunnel.VxlanReceiver;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs one pipeline stage on real frames, with no node, ring, thread or cluster around it: what
 * Netty's {@code EmbeddedChannel} is to one handler. A test builds frame bytes ({@link TestFrames}),
 * {@link #frame} copies them into a real {@link Frame} slot and parses them with the real
 * {@link FrameParser} — a stage never sees a frame the parser refused, so neither does a harness
 * test — and {@link #run} hands the frame to one {@link Stage} and counts the verdict in a real
 * {@link DatapathCounters}, as {@code NodeDatapath.handle} does.
 *
 * <p>What the stage did is left to inspect: the frame's own bytes ({@link #bytes}, for what a stage
 * rewrites in place), what each port of the forwarding table was sent ({@link #receivedBy}), and
 * what went into the VXLAN tunnel — a real {@link TunnelPort} over an underlay that keeps a copy of
 * every outer frame instead of delivering it ({@link #tunnelled}).
 *
 * <p>The harness knows no stage: a test writes the stage's call as a lambda, with the arguments
 * {@code NodeDatapath.process} passes, so the harness survives stages moving between packages.
 * Owned by the test's thread, which plays the pipeline thread.
 */
public final class StageHarness
{
    /** One stage, called as the pipeline calls it: null when the frame goes on, else why it is dropped. */
    @FunctionalInterface
    public interface Stage
    {
        DropReason process(Frame frame, StageHarness node);
    }

    /** One encapsulated frame handed to the underlay: the outer frame's bytes, as a kernel would see them. */
    public record Tunnelled(int remoteVtepIp, int sourcePort, byte[] outer)
    {
        /** The inner frame the tunnel carried (everything after the outer Ethernet, IPv4, UDP and VXLAN headers). */
        public byte[] inner()
        {
            return Arrays.copyOfRange(outer, VxlanOuterHeaders.LENGTH, outer.length);
        }
    }

    /** Ports 1..15 exist (0 is the tunnel's id); the table says which endpoint, if any, is behind each. */
    public static final int PORT_COUNT = 16;

    private final int frameCapacity;
    private final FrameParser parser = new FrameParser();
    private final DatapathCounters counters = new DatapathCounters();
    private final RecordingUnderlay underlay = new RecordingUnderlay();
    private final TunnelPort tunnel;
    private ForwardingTable table;
    private PolicyTable policy = PolicyTable.ALLOW_ALL;
    private final CapturingPort[] ports = new CapturingPort[PORT_COUNT];
    private long nowNs;
    private long passed;

    /**
     * A node forwarding by {@code table}, with a {@link CapturingPort} on every port id from 1 to
     * {@link #PORT_COUNT} - 1 and a tunnel from {@code localVtepIp}. Ports and table are apart, as in
     * {@code NodeDatapath}: a port may have no endpoint, an endpoint's port may be removed.
     */
    public StageHarness(final ForwardingTable table, final int localVtepIp)
    {
        this.frameCapacity = Frame.EMULATED_CAPACITY;
        this.table = table;
        this.tunnel = new TunnelPort(NodeDatapath.TUNNEL_PORT_ID, localVtepIp, table.vni(), frameCapacity, underlay,
            new FrameRing(8, frameCapacity, counters), counters, peerVtep -> this.table.remoteByVtep(peerVtep) != null);
        for (int portId = 1; portId < PORT_COUNT; portId++)
        {
            ports[portId] = new CapturingPort(portId, "port-" + portId);
        }
    }

    /** Swaps in a new forwarding table, as the control plane publishes one (ports stay as they are). */
    public StageHarness publish(final ForwardingTable newTable)
    {
        table = newTable;
        return this;
    }

    public StageHarness publishPolicy(final PolicyTable newPolicy)
    {
        policy = newPolicy;
        return this;
    }

    /** The clock the next stage runs at (the pipeline reads it once per batch). */
    public StageHarness now(final long newNowNs)
    {
        nowNs = newNowNs;
        return this;
    }

    /** A frame arriving on a local port, parsed: its meta is what the stage after the parser sees. */
    public Frame frame(final int inPortId, final byte[] bytes)
    {
        return parsed(inPortId, 0, bytes);
    }

    /** A frame the tunnel decapsulated, sent by the VTEP {@code vtepIp}. */
    public Frame fromTunnel(final int vtepIp, final byte[] bytes)
    {
        return parsed(NodeDatapath.TUNNEL_PORT_ID, vtepIp, bytes);
    }

    private Frame parsed(final int inPortId, final int vtepIp, final byte[] bytes)
    {
        final Frame frame = new Frame(frameCapacity);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, frame.segment(), 0, bytes.length);
        frame.length(bytes.length);
        frame.inPortId(inPortId);
        frame.tunnelSourceIp(vtepIp);
        final DropReason malformed = parser.parse(frame.segment(), 0, bytes.length, frame.meta());
        if (malformed != null)
        {
            throw new AssertionError("the parser drops this frame before any stage: " + malformed);
        }
        return frame;
    }

    /** Runs {@code stage} on {@code frame}; counts it received and, when it is dropped, its reason. */
    public DropReason run(final Stage stage, final Frame frame)
    {
        counters.received();
        final DropReason reason = stage.process(frame, this);
        if (reason == null)
        {
            passed++;
        }
        else
        {
            counters.dropped(reason);
        }
        return reason;
    }

    public ForwardingTable table()
    {
        return table;
    }

    public PolicyTable policy()
    {
        return policy;
    }

    public long nowNs()
    {
        return nowNs;
    }

    /** The ports by id, as the pipeline hands them to the router (null: no port with that id). */
    public Port[] ports()
    {
        return ports;
    }

    public CapturingPort port(final int portId)
    {
        return ports[portId];
    }

    /** Removes a port, as when its pod is deleted before the table says so. */
    public StageHarness removePort(final int portId)
    {
        ports[portId] = null;
        return this;
    }

    public TunnelPort tunnel()
    {
        return tunnel;
    }

    public DatapathCounters counters()
    {
        return counters;
    }

    /** Frames a stage let through (returned null for). */
    public long passedCount()
    {
        return passed;
    }

    /** Every frame run ended in one bucket: passed on, or one drop reason. */
    public boolean isBalanced()
    {
        return counters.receivedCount() == passed + counters.droppedTotal();
    }

    /** The frame's bytes as they are now, after whatever the stage wrote in place. */
    public static byte[] bytes(final Frame frame)
    {
        return TestFrames.toBytes(frame.segment(), 0, frame.length());
    }

    /** Copies of the frames port {@code portId} transmitted, oldest first. */
    public List<byte[]> receivedBy(final int portId)
    {
        return ports[portId] == null ? List.of() : ports[portId].frames;
    }

    public List<Tunnelled> tunnelled()
    {
        return underlay.sent;
    }

    /** Frames that left by any port or the tunnel. */
    public int sentAnywhere()
    {
        int total = underlay.sent.size();
        for (final CapturingPort port : ports)
        {
            total += port == null ? 0 : port.frames.size();
        }
        return total;
    }

    /** Makes the underlay refuse every send (a full socket buffer, a closed socket). */
    public StageHarness refuseTunnelSends()
    {
        underlay.refuse = true;
        return this;
    }

    /**
     * A port that keeps a copy of every frame it is asked to transmit. It can be closed (transmit
     * refuses, as a port whose device went away) or take offload requests (as a TAP with offloads).
     */
    public static final class CapturingPort implements Port
    {
        private final int id;
        private final String name;
        private final List<byte[]> frames = new ArrayList<>();
        private final List<Long> offloadRequests = new ArrayList<>();
        private boolean closed;
        private boolean acceptsOffloads;

        CapturingPort(final int id, final String name)
        {
            this.id = id;
            this.name = name;
        }

        public CapturingPort close()
        {
            closed = true;
            return this;
        }

        public CapturingPort acceptOffloads()
        {
            acceptsOffloads = true;
            return this;
        }

        /** The offload request each transmitted frame came with, in order (0: a complete frame). */
        public List<Long> offloadRequests()
        {
            return offloadRequests;
        }

        @Override
        public int id()
        {
            return id;
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public boolean transmit(final MemorySegment frame, final long offset, final int length)
        {
            if (closed)
            {
                return false;
            }
            frames.add(TestFrames.toBytes(frame, offset, length));
            offloadRequests.add(0L);
            return true;
        }

        @Override
        public boolean acceptsOffloads()
        {
            return acceptsOffloads;
        }

        @Override
        public boolean transmit(final MemorySegment frame, final long offset, final int length, final long offload)
        {
            if (closed)
            {
                return false;
            }
            frames.add(TestFrames.toBytes(frame, offset, length));
            offloadRequests.add(offload);
            return true;
        }
    }

    /** An underlay that delivers nothing and keeps a copy of every outer frame it is given. */
    public static final class RecordingUnderlay implements VxlanUnderlay
    {
        private final List<Tunnelled> sent = new ArrayList<>();
        private boolean refuse;

        public List<Tunnelled> sent()
        {
            return sent;
        }

        @Override
        public void bind(final int localVtepIp, final VxlanReceiver receiver)
        {
        }

        @Override
        public boolean send(final int localVtepIp, final int remoteVtepIp, final int sourcePort,
            final MemorySegment outerFrame, final long offset, final int length)
        {
            if (refuse)
            {
                return false;
            }
            sent.add(new Tunnelled(remoteVtepIp, sourcePort, TestFrames.toBytes(outerFrame, offset, length)));
            return true;
        }

        @Override
        public void flush(final int localVtepIp)
        {
        }

        @Override
        public long sentCount()
        {
            return sent.size();
        }

        @Override
        public long deliveredCount()
        {
            return 0;
        }

        @Override
        public void close()
        {
        }
    }
}
