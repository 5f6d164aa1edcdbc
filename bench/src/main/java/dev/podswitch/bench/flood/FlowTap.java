package dev.podswitch.bench.flood;

import dev.podswitch.control.Attachment;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.port.FrameSink;

import java.lang.foreign.MemorySegment;

/**
 * What the flood run puts at the far end of a pod's memory port, in front of the pod's virtual
 * endpoint: it counts every frame the switch delivered, takes the segments of the
 * {@link LongFlows} (which it counts per flow and direction), and hands everything else — probe
 * answers, SYNs, DNS queries — to the endpoint, which answers as before. With no endpoint (the
 * flooder) it only counts. Runs on the node's pipeline thread; the driver reads {@link #frames()}
 * after {@code runUntilIdle}. One parser and one meta per tap: nothing allocated per frame.
 */
final class FlowTap implements FrameSink
{
    private final Attachment pod;
    private final FrameSink endpoint;
    private final LongFlows flows;
    private final boolean server;
    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();
    private long frames;

    private FlowTap(final Attachment pod, final FrameSink endpoint, final LongFlows flows, final boolean server)
    {
        this.pod = pod;
        this.endpoint = endpoint;
        this.flows = flows;
        this.server = server;
    }

    /** Puts a tap in front of {@code pod}'s endpoint; {@code flows} null: a pod without long flows. */
    static FlowTap install(final Attachment pod, final LongFlows flows, final boolean server)
    {
        final FlowTap tap = new FlowTap(pod, pod.endpoint(), flows, server);
        pod.memoryPort().sink(tap);
        return tap;
    }

    /** Replaces {@code pod}'s endpoint with a counter: nothing answers what reaches it. */
    static FlowTap installSilent(final Attachment pod)
    {
        final FlowTap tap = new FlowTap(pod, null, null, false);
        pod.memoryPort().sink(tap);
        return tap;
    }

    @Override
    public void onFrame(final MemorySegment frame, final long offset, final int length)
    {
        frames++;
        if (endpoint == null)
        {
            return;
        }
        if (flows != null && parser.parse(frame, offset, length, meta) == null && meta.isIpv4()
            && meta.ipProtocol == IpProtocol.TCP.number() && flows.arrived(pod, meta, server))
        {
            return;
        }
        endpoint.onFrame(frame, offset, length);
    }

    long frames()
    {
        return frames;
    }
}
