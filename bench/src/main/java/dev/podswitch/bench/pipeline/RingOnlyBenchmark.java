package dev.podswitch.bench.pipeline;

import com.lmax.disruptor.EventPoller;
import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.stats.DatapathCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The limit the pipeline is measured against: the node's receive ring alone, the same
 * {@link FrameRing} (a Disruptor ring of {@link Frame} slots drained through an {@link EventPoller})
 * with the same ring size and slot size as an emulated node, driven exactly as
 * {@link PodToPodThroughputBenchmark#ring} drives it — claim 32 slots, copy a frame into each from
 * 1,000 different source frames, publish, drain — and nothing else: the consumer reads the frame's
 * length and first eight bytes, so the copy is not dead. Packets per second here over the
 * pipeline's is how much of a packet's time the pipeline spends outside the ring
 * ({@code bench/pipeline-ratios.sh} prints it).
 */
@State(Scope.Thread)
public class RingOnlyBenchmark extends BenchmarkBase
{
    private static final int SOURCES = 1_000;

    @Param({"64", "1500"})
    public int frameBytes;

    private FrameRing ring;
    private MemorySegment sources;
    private int cursor;
    private long checksum;
    private long consumed;
    private final EventPoller.Handler<Frame> consumer = (frame, sequence, endOfBatch) ->
    {
        checksum += frame.length() + frame.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        consumed++;
        return true;
    };

    @Setup(Level.Trial)
    public void build()
    {
        ring = new FrameRing(ClusterOptions.DEFAULT_RING_SIZE, Frame.EMULATED_CAPACITY, new DatapathCounters());
        sources = Arena.ofAuto().allocate((long)SOURCES * frameBytes, 64);
        for (long i = 0; i < sources.byteSize(); i++)
        {
            sources.set(ValueLayout.JAVA_BYTE, i, (byte)(i * 31));
        }
    }

    @Benchmark
    @OperationsPerInvocation(PodToPodThroughputBenchmark.FRAMES)
    public long ring() throws Exception
    {
        final long before = consumed;
        for (int b = 0; b < PodToPodThroughputBenchmark.BATCHES; b++)
        {
            for (int i = 0; i < NodeDatapath.BATCH_LIMIT; i++)
            {
                final long sequence = ring.tryClaim();
                if (sequence < 0)
                {
                    throw new IllegalStateException("ring full with the consumer idle");
                }
                final Frame frame = ring.slot(sequence);
                MemorySegment.copy(sources, (long)cursor * frameBytes, frame.segment(), 0, frameBytes);
                cursor = cursor + 1 == SOURCES ? 0 : cursor + 1;
                frame.length(frameBytes);
                ring.publish(sequence);
            }
            if (ring.drain(consumer) != NodeDatapath.BATCH_LIMIT)
            {
                throw new IllegalStateException("the ring did not give back the batch it was given");
            }
        }
        if (consumed - before != PodToPodThroughputBenchmark.FRAMES)
        {
            throw new IllegalStateException((consumed - before) + " frames consumed of " + PodToPodThroughputBenchmark.FRAMES);
        }
        return checksum;
    }
}
