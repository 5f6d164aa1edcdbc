package dev.podswitch.bench.pipeline;


import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.NodeDatapath;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Packets per second through a node's whole pipeline (parse, anti-spoof, conntrack + policy,
 * route, transmit; on two nodes also VXLAN encapsulation, the in-memory underlay and
 * decapsulation), pod A to pod B over memory ports, on one thread. Two drivers over the same
 * {@link NodeDatapath}, run side by side so their ratio is the ring's cost:
 * <ul>
 *   <li>{@link #ring}: the Disruptor pipeline — claim 32 slots, copy a frame into each, publish,
 *   then {@code doWork()} drains them;</li>
 *   <li>{@link #direct}: no ring — copy each frame into one of 32 preallocated {@link Frame}s and
 *   call {@code beginBatch}, {@code handle} × 32, {@code endBatch}.</li>
 * </ul>
 * On two nodes only node-1 is driven directly: node-2 receives from its tunnel port, which always
 * offers decapsulated frames to node-2's ring, drained with {@code doWork()} in both drivers.
 *
 * <p>An invocation sends 1,024 frames (32 batches of 32) cycling through the flows; every flow
 * has been seen once in setup, so each packet is a conntrack hit. Each invocation checks that B
 * received exactly what was sent, that no node dropped anything, and that conntrack missed
 * nothing. Conntrack runs with its default table (65,536) up to 1,000 flows; for 100,000 it is
 * raised to 524,288 (load 0.19: the default cannot hold them, and at load 0.38 a few flows per
 * run find their probe window full and are evicted, which this benchmark reports as misses).
 */
@State(Scope.Thread)
public class PodToPodThroughputBenchmark extends BenchmarkBase
{
    static final int BATCH = NodeDatapath.BATCH_LIMIT;
    static final int BATCHES = 32;
    static final int FRAMES = BATCH * BATCHES;
    /** Conntrack slots for 100,000 flows (load 0.19); fewer flows run with the default. */
    static final int LARGE_CONNTRACK_CAPACITY = 1 << 19;

    /** Ethernet frame length, header included, FCS not. */
    @Param({"64", "1500"})
    public int frameBytes;

    @Param({"1", "1000", "100000"})
    public int flows;

    @Param({"on", "off"})
    public String policy;

    @Param({"1", "2"})
    public int nodes;

    private PodNetwork network;
    private PodTraffic traffic;
    private NodeDatapath ingress;
    private NodeDatapath egress;
    private FrameRing ring;
    private CountingSink sink;
    private int inPortId;
    private final Frame[] batch = new Frame[BATCH];
    private int cursor;
    private long ingressMisses;
    private long egressMisses;

    @Setup(Level.Trial)
    public void build()
    {
        if (!"on".equals(policy) && !"off".equals(policy))
        {
            throw new IllegalArgumentException("policy=" + policy + " must be on or off");
        }
        final int capacity = 5 * flows > NodeDatapath.CONNTRACK_CAPACITY_DEFAULT
            ? LARGE_CONNTRACK_CAPACITY : NodeDatapath.CONNTRACK_CAPACITY_DEFAULT;
        // Read once, when NodeDatapath is initialised: nothing in this fork has touched it yet.
        System.setProperty(NodeDatapath.CONNTRACK_CAPACITY_PROP_NAME, Integer.toString(capacity));
        network = new PodNetwork(nodes, "on".equals(policy));
        traffic = new PodTraffic(frameBytes, flows, network);
        ingress = network.ingress();
        egress = network.egress();
        ring = ingress.ring();
        sink = network.serverSink();
        inPortId = network.clientPortId();
        for (int i = 0; i < BATCH; i++)
        {
            batch[i] = new Frame(ring.frameCapacity());
        }
        if (ingress.connections().capacity() != capacity)
        {
            throw new IllegalStateException("conntrack capacity " + ingress.connections().capacity() + " != " + capacity
                + " for " + flows + " flows: NodeDatapath was initialised before setup set "
                + NodeDatapath.CONNTRACK_CAPACITY_PROP_NAME);
        }
        // Every flow's first packet: conntrack misses, policy judges, the flow is tracked.
        final int warmBatches = (flows + BATCH - 1) / BATCH;
        for (int b = 0; b < warmBatches; b++)
        {
            ringBatch();
        }
        cursor = 0;
        network.checkAllForwarded();
        ingressMisses = ingress.connections().counters().misses();
        egressMisses = egress.connections().counters().misses();
        if (ingressMisses != flows || sink.frames() != (long)warmBatches * BATCH)
        {
            throw new IllegalStateException("warm-up: " + ingressMisses + " conntrack misses for " + flows + " flows, "
                + sink.frames() + " frames delivered");
        }
    }

    private int nextFlow()
    {
        final int flow = cursor;
        cursor = flow + 1 == flows ? 0 : flow + 1;
        return flow;
    }

    private void ringBatch()
    {
        for (int i = 0; i < BATCH; i++)
        {
            final long sequence = ring.tryClaim();
            if (sequence < 0)
            {
                throw new IllegalStateException("ring full with the pipeline idle");
            }
            final Frame frame = ring.slot(sequence);
            traffic.copyInto(frame.segment(), nextFlow());
            frame.length(frameBytes);
            frame.inPortId(inPortId);
            ring.publish(sequence);
        }
        final int handled = ingress.doWork();
        if (handled != BATCH)
        {
            throw new IllegalStateException("doWork handled " + handled + " of a batch of " + BATCH);
        }
        drainEgress();
    }

    private void directBatch()
    {
        ingress.beginBatch(System.nanoTime());
        for (int i = 0; i < BATCH; i++)
        {
            final Frame frame = batch[i];
            traffic.copyInto(frame.segment(), nextFlow());
            frame.length(frameBytes);
            frame.inPortId(inPortId);
            ingress.handle(frame);
        }
        ingress.endBatch(BATCH);
        drainEgress();
    }

    private void drainEgress()
    {
        if (egress != ingress)
        {
            while (!egress.isIdle())
            {
                egress.doWork();
            }
        }
    }

    private long verify(final long deliveredBefore)
    {
        final long delivered = sink.frames() - deliveredBefore;
        if (delivered != FRAMES
            || ingress.counters().receivedCount() != ingress.counters().forwardedCount()
            || egress.counters().receivedCount() != egress.counters().forwardedCount()
            || ingress.connections().counters().misses() != ingressMisses
            || egress.connections().counters().misses() != egressMisses)
        {
            network.checkAllForwarded();
            throw new IllegalStateException(delivered + " of " + FRAMES + " delivered; conntrack misses "
                + ingress.connections().counters() + " / " + egress.connections().counters());
        }
        return delivered;
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long ring()
    {
        final long before = sink.frames();
        for (int b = 0; b < BATCHES; b++)
        {
            ringBatch();
        }
        return verify(before);
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long direct()
    {
        final long before = sink.frames();
        for (int b = 0; b < BATCHES; b++)
        {
            directBatch();
        }
        return verify(before);
    }
}
