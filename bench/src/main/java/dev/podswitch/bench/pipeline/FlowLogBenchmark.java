package dev.podswitch.bench.pipeline;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.flow.FlowLog;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DropReason;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the flow log costs the pipeline where it works hardest: a flood of first packets NetworkPolicy
 * denies (nothing gets tracked, so every packet is judged, dropped and offered to the log), from one
 * pod to another on one node, with the log on (its default ring) and off, side by side in one run.
 * Established connections never touch the log: {@link PodToPodThroughputBenchmark} measures them.
 * Run with {@code -prof gc}: the log must add no allocation ({@code gc.alloc.rate.norm} 0 B/op).
 *
 * <p>An invocation hands 1,024 denied UDP frames (32 batches of 32, over 1,000 flows to ports the
 * policy does not allow) straight to the node, and checks each was dropped as POLICY_DENIED_INGRESS.
 */
@State(Scope.Thread)
public class FlowLogBenchmark extends BenchmarkBase
{
    static final int BATCH = NodeDatapath.BATCH_LIMIT;
    static final int BATCHES = 32;
    static final int FRAMES = BATCH * BATCHES;
    private static final int FLOWS = 1000;
    /** Past the policy's allowed range (5000–5099): every frame is denied at ingress. */
    private static final int DENIED_PORT = 6000;

    @Param({"on", "off"})
    public String flowLog;

    @Param({"64"})
    public int frameBytes;

    private PodNetwork network;
    private PodTraffic traffic;
    private NodeDatapath node;
    private final Frame[] batch = new Frame[BATCH];
    private int inPortId;
    private int cursor;

    @Setup(Level.Trial)
    public void build()
    {
        // Read when the node's pipeline is built: nothing in this fork has built one yet.
        System.setProperty(FlowLog.CAPACITY_PROP_NAME, "on".equals(flowLog) ? Integer.toString(FlowLog.DEFAULT_CAPACITY)
            : "0");
        network = new PodNetwork(1, true);
        traffic = new PodTraffic(frameBytes, FLOWS, network, DENIED_PORT);
        node = network.ingress();
        inPortId = network.clientPortId();
        for (int i = 0; i < BATCH; i++)
        {
            batch[i] = new Frame(node.ring().frameCapacity());
        }
        if (node.flows().isEnabled() != "on".equals(flowLog))
        {
            throw new IllegalStateException("flow log " + flowLog + " but the node's is " + (node.flows().isEnabled()
                ? "on" : "off") + ": NodeDatapath was built before setup set " + FlowLog.CAPACITY_PROP_NAME);
        }
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long deniedFirstPackets()
    {
        final long before = node.counters().droppedCount(DropReason.POLICY_DENIED_INGRESS);
        for (int b = 0; b < BATCHES; b++)
        {
            node.beginBatch(System.nanoTime());
            for (int i = 0; i < BATCH; i++)
            {
                final Frame frame = batch[i];
                traffic.copyInto(frame.segment(), cursor);
                cursor = cursor + 1 == FLOWS ? 0 : cursor + 1;
                frame.length(frameBytes);
                frame.inPortId(inPortId);
                node.handle(frame);
            }
            node.endBatch(BATCH);
        }
        final long denied = node.counters().droppedCount(DropReason.POLICY_DENIED_INGRESS) - before;
        if (denied != FRAMES)
        {
            throw new IllegalStateException(denied + " of " + FRAMES + " frames denied; drops "
                + node.counters().drops());
        }
        return denied;
    }
}
