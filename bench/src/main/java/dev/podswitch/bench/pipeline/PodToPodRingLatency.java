package dev.podswitch.bench.pipeline;


import dev.podswitch.bench.packet.FrameWriter;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.port.FrameSink;
import dev.podswitch.dataplane.stats.DropReason;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Latency through the ring, ingress to delivery, at a fixed rate: a producer thread injects
 * timestamped frames from pod A into node-1's ring, and a pipeline thread busy-spins on
 * {@code doWork()} (both nodes' when there are two); pod B's sink records, in HdrHistogram, how
 * long each frame took.
 *
 * <p>First it measures the maximum: the producer offers as fast as the ring accepts for a few
 * seconds, and the rate B receives is the capacity. Then, on a fresh network, it offers at half
 * that rate, each frame at its scheduled time, and reports percentiles two ways: from the moment
 * the frame was published into the ring (service latency), and from the moment it was scheduled
 * to be sent (which also counts any time the producer itself fell behind — coordinated omission).
 * The first second of each run is warm-up and not recorded. Every frame sent must arrive and
 * nothing may be dropped, ring-full included; otherwise it prints FAILED and exits with 1. It also
 * prints how often the kernel preempted the two spinning threads, and the GCs during the run.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.podswitch.bench.pipeline.PodToPodRingLatency \
 *     [frameBytes=64] [flows=1000] [policy=on] [nodes=1] [seconds=5]
 * </pre>
 */
public final class PodToPodRingLatency
{
    private static final int SCHEDULED_OFFSET = FrameWriter.UDP_PAYLOAD_OFFSET;
    private static final int PUBLISHED_OFFSET = SCHEDULED_OFFSET + 8;
    private static final long WARM_UP_NS = 1_000_000_000L;
    private static final long HIGHEST_NS = 10_000_000_000L;
    private static final ValueLayout.OfLong TIME = ValueLayout.JAVA_LONG_UNALIGNED;

    private PodToPodRingLatency()
    {
    }

    /** Pod B: records both latencies of every frame scheduled after the warm-up. */
    private static final class LatencySink implements FrameSink
    {
        final Histogram sincePublished = new Histogram(HIGHEST_NS, 3);
        final Histogram sinceScheduled = new Histogram(HIGHEST_NS, 3);
        volatile long recordFromNs = Long.MAX_VALUE;
        long frames;

        @Override
        public void onFrame(final MemorySegment frame, final long offset, final int length)
        {
            final long nowNs = System.nanoTime();
            frames++;
            final long scheduledNs = frame.get(TIME, offset + SCHEDULED_OFFSET);
            if (scheduledNs - recordFromNs >= 0)
            {
                sinceScheduled.recordValue(Math.min(HIGHEST_NS, nowNs - scheduledNs));
                sincePublished.recordValue(Math.min(HIGHEST_NS, nowNs - frame.get(TIME, offset + PUBLISHED_OFFSET)));
            }
        }
    }

    /** One run: a network, its pipeline thread, and what the producer sent. */
    private static final class Run
    {
        final PodNetwork network;
        final PodTraffic traffic;
        final LatencySink sink = new LatencySink();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread pipeline;
        long sent;
        long ringFull;

        Run(final int frameBytes, final int flows, final boolean policyOn, final int nodes)
        {
            network = new PodNetwork(nodes, policyOn);
            traffic = new PodTraffic(frameBytes, flows, network);
            final NodeDatapath egress = network.egress();
            network.serverPort().sink(sink);
            final NodeDatapath ingress = network.ingress();
            pipeline = new Thread(() ->
            {
                while (running.get() || !ingress.isIdle() || !egress.isIdle())
                {
                    ingress.doWork();
                    if (egress != ingress)
                    {
                        egress.doWork();
                    }
                }
            }, "pipeline");
            pipeline.start();
        }

        /** Offers one frame of {@code flow} scheduled at {@code scheduledNs}; false when the ring was full. */
        boolean offer(final int flow, final long scheduledNs)
        {
            final FrameRing ring = network.ingress().ring();
            final long sequence = ring.tryClaim();
            if (sequence < 0)
            {
                ringFull++;
                return false;
            }
            final Frame frame = ring.slot(sequence);
            final MemorySegment slot = frame.segment();
            traffic.copyInto(slot, flow);
            slot.set(TIME, SCHEDULED_OFFSET, scheduledNs);
            frame.length(traffic.frameBytes());
            frame.inPortId(network.clientPortId());
            slot.set(TIME, PUBLISHED_OFFSET, System.nanoTime());
            ring.publish(sequence);
            sent++;
            return true;
        }

        void stop() throws InterruptedException
        {
            running.set(false);
            pipeline.join();
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final int frameBytes = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        final int flows = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        final boolean policyOn = args.length <= 2 || "on".equals(args[2]);
        final int nodes = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        final long seconds = args.length > 4 ? Long.parseLong(args[4]) : 5;
        System.out.printf("frameBytes=%d flows=%d policy=%s nodes=%d seconds=%d%n", frameBytes, flows,
            policyOn ? "on" : "off", nodes, seconds);

        final double maxPps = saturate(frameBytes, flows, policyOn, nodes, seconds);
        System.out.printf(Locale.ROOT, "maximum through the ring: %.2f Mpps%n", maxPps / 1e6);
        paced(frameBytes, flows, policyOn, nodes, seconds, maxPps / 2);
    }

    /** Offers as fast as the ring takes frames; returns B's receive rate after the warm-up. */
    private static double saturate(final int frameBytes, final int flows, final boolean policyOn, final int nodes,
        final long seconds) throws InterruptedException
    {
        final Run run = new Run(frameBytes, flows, policyOn, nodes);
        final long startNs = System.nanoTime();
        final long measureFromNs = startNs + WARM_UP_NS;
        final long endNs = measureFromNs + seconds * 1_000_000_000L;
        long deliveredAtStart = -1;
        int flow = 0;
        long nowNs = startNs;
        while (nowNs - endNs < 0)
        {
            if (run.offer(flow, nowNs))
            {
                flow = flow + 1 == flows ? 0 : flow + 1;
            }
            nowNs = System.nanoTime();
            if (deliveredAtStart < 0 && nowNs - measureFromNs >= 0)
            {
                deliveredAtStart = run.network.egress().counters().forwardedCount();
            }
        }
        final long delivered = run.network.egress().counters().forwardedCount() - deliveredAtStart;
        final double pps = delivered * 1e9 / (System.nanoTime() - measureFromNs);
        run.stop();
        System.out.printf(Locale.ROOT, "saturating: sent %d, ring full %d times (offered again)%n", run.sent, run.ringFull);
        return pps;
    }

    private static void paced(final int frameBytes, final int flows, final boolean policyOn, final int nodes,
        final long seconds, final double pps) throws InterruptedException
    {
        final Run run = new Run(frameBytes, flows, policyOn, nodes);
        final long gcsBefore = gcCount();
        final double intervalNs = 1e9 / pps;
        final long startNs = System.nanoTime() + 1_000_000;
        run.sink.recordFromNs = startNs + WARM_UP_NS;
        final long frames = (long)((WARM_UP_NS + seconds * 1_000_000_000L) / intervalNs);
        int flow = 0;
        long dropped = 0;
        for (long i = 0; i < frames; i++)
        {
            final long scheduledNs = startNs + (long)(i * intervalNs);
            while (System.nanoTime() - scheduledNs < 0)
            {
                Thread.onSpinWait();
            }
            if (!run.offer(flow, scheduledNs))
            {
                dropped++;
            }
            flow = flow + 1 == flows ? 0 : flow + 1;
        }
        final long elapsedNs = System.nanoTime() - startNs;
        printPreemptions();
        run.stop();
        final NodeDatapath ingress = run.network.ingress();
        System.out.printf(Locale.ROOT, "paced at %.2f Mpps (half the maximum): offered %d in %.2f s (%.2f Mpps), "
                + "delivered %d, ring full %d%n", pps / 1e6, frames, elapsedNs / 1e9, frames * 1e3 / elapsedNs,
            run.sink.frames, dropped);
        print("ingress (published) -> delivered", run.sink.sincePublished);
        print("scheduled -> delivered          ", run.sink.sinceScheduled);
        System.out.printf("garbage collections during the paced run: %d%n", gcCount() - gcsBefore);
        if (dropped != 0 || run.sink.frames != run.sent || run.sent != frames
            || ingress.counters().droppedCount(DropReason.RING_FULL) != dropped
            || ingress.counters().receivedCount() != ingress.counters().forwardedCount() + dropped)
        {
            System.out.println("FAILED: frames lost: sent " + run.sent + " of " + frames + ", delivered "
                + run.sink.frames + ", drops " + ingress.counters().drops());
            System.exit(1);
        }
    }

    private static long gcCount()
    {
        long count = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            count += gc.getCollectionCount();
        }
        return count;
    }

    /**
     * How often the kernel took the CPU from the two spinning threads (Linux only): on a machine
     * with no core to spare, these preemptions are the latency tail.
     */
    private static void printPreemptions()
    {
        final Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks))
        {
            return;
        }
        try (var stream = Files.list(tasks))
        {
            for (final Path task : (Iterable<Path>)stream::iterator)
            {
                final String name = Files.readString(task.resolve("comm")).strip();
                // The launcher's main thread keeps the native name "java": that is the producer.
                if (name.equals("pipeline") || name.equals("java"))
                {
                    for (final String line : Files.readAllLines(task.resolve("status")))
                    {
                        if (line.startsWith("nonvoluntary_ctxt_switches"))
                        {
                            System.out.printf("thread %-8s %s%n", name.equals("java") ? "producer" : name, line.replaceAll("\\s+", " "));
                        }
                    }
                }
            }
        }
        catch (final IOException | UncheckedIOException unreadable)
        {
            System.out.println("preemptions not readable: " + unreadable);
        }
    }

    private static void print(final String what, final Histogram histogram)
    {
        System.out.printf(Locale.ROOT, "%s  n=%d  p50 %.2f us  p99 %.2f us  p99.9 %.2f us  p99.99 %.2f us  max %.2f us%n",
            what, histogram.getTotalCount(), histogram.getValueAtPercentile(50) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
            histogram.getValueAtPercentile(99.99) / 1e3, histogram.getMaxValue() / 1e3);
    }
}
