package dev.podswitch.bench.scale;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.conntrack.ConntrackCounters;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ProbeRegistry;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.stats.DatapathCounters;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * A whole emulated cluster at scale: 20 nodes, up to 50 pods each, built programmatically, and a
 * full TCP matrix — every pod to every other pod, n(n-1) probes, each a real handshake (SYN,
 * SYN-ACK, ACK, then FIN close) through parse, anti-spoof, conntrack, policy, routing and VXLAN
 * between nodes — timed in the single-threaded mode and with the nodes on agent threads.
 *
 * <p>Probes run as {@code ScenarioRunner.runProbes} runs them: rounds of at most 512 started
 * from this thread ({@link dev.podswitch.dataplane.port.endpoint.VirtualEndpoint#start}), then
 * {@link ClusterDataplane#runUntilIdle()}, then each probe read and released. Unlike the runner,
 * this harness keeps counts, not an outcome record per probe: a million records would measure the
 * report, not the switch. Rounds go diagonal by diagonal (pod i to pod i+d), so each round has
 * 512 different senders spread over every node, as a real matrix run would be.
 *
 * <p>{@code java -Xmx2g -cp bench/target/benchmarks.jar dev.podswitch.bench.scale.ClusterScaleRun
 * [--pods 100,250,500,1000] [--threads 0,2] [--idle blocking]}; {@code --short} runs 100 pods only.
 */
public final class ClusterScaleRun
{
    public static final int NODES = 20;
    public static final int PROBES_PER_ROUND = 512;
    public static final int SERVED_PORT = 80;
    private static final ServedPorts WEB = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, SERVED_PORT));

    private ClusterScaleRun()
    {
    }

    /** What one run measured; the probe counts partition {@code probes}. */
    public record Result(int pods, int threads, IdleMode idle, long probes, long connected, long notStarted,
        long failed, long setupNs, long matrixNs, long peakHeapUsedBytes, long heapAfterGcBytes, long framesReceived,
        TreeMap<String, Long> drops, long conntrackEvictions, long conntrackInsertFailures, long agentErrors)
    {
        public double probesPerSecond()
        {
            return probes * 1e9 / matrixNs;
        }

        public boolean allConnected()
        {
            return connected == probes;
        }
    }

    public static Result run(final int pods, final int threads, final IdleMode idle)
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        memory.gc();
        final List<String> nodeNames = new ArrayList<>();
        for (int n = 0; n < NODES; n++)
        {
            nodeNames.add(String.format(Locale.ROOT, "node-%02d", n));
        }
        final long setupStartNs = System.nanoTime();
        try (ClusterDataplane cluster = ClusterDataplane.create(
            ClusterOptions.of("10.0.0.0/8", 24, nodeNames, ClusterOptions.Underlay.MEMORY).withThreading(threads, idle)))
        {
            final Attachment[] pod = new Attachment[pods];
            for (int i = 0; i < pods; i++)
            {
                pod[i] = cluster.addPod("default/pod-" + i, nodeNames.get(i % NODES), 0, WEB);
            }
            final long setupNs = System.nanoTime() - setupStartNs;
            final ProbeRegistry registry = cluster.probes();
            final Probe[] round = new Probe[PROBES_PER_ROUND];
            long probes = 0;
            long connected = 0;
            long notStarted = 0;
            long failed = 0;
            long peakHeapUsed = 0;
            int inRound = 0;
            final long matrixStartNs = System.nanoTime();
            for (int distance = 1; distance < pods; distance++)
            {
                for (int from = 0; from < pods; from++)
                {
                    final Attachment source = pod[from];
                    final Attachment destination = pod[(from + distance) % pods];
                    final Probe probe = new Probe(IpProtocol.TCP, source.name(), source.ip(), destination.name(),
                        destination.ip(), SERVED_PORT);
                    probes++;
                    if (source.endpoint().start(probe))
                    {
                        round[inRound++] = probe;
                    }
                    else
                    {
                        notStarted++;
                    }
                    if (inRound == PROBES_PER_ROUND || (distance == pods - 1 && from == pods - 1))
                    {
                        if (!cluster.runUntilIdle())
                        {
                            throw new IllegalStateException("cluster not quiescent after a round: " + cluster.errors()
                                .entries());
                        }
                        for (int i = 0; i < inRound; i++)
                        {
                            final Probe done = round[i];
                            if (done.connected() && done.answer() == Probe.Answer.OPEN
                                && done.sourceIpSeenAtDestination() == done.sourceIp())
                            {
                                connected++;
                            }
                            else
                            {
                                failed++;
                            }
                            registry.release(done);
                            round[i] = null;
                        }
                        inRound = 0;
                        peakHeapUsed = Math.max(peakHeapUsed, memory.getHeapMemoryUsage().getUsed());
                    }
                }
            }
            final long matrixNs = System.nanoTime() - matrixStartNs;
            memory.gc();
            final long heapAfterGc = memory.getHeapMemoryUsage().getUsed();
            long received = 0;
            long evictions = 0;
            long insertFailures = 0;
            final TreeMap<String, Long> drops = new TreeMap<>();
            for (final ClusterNode node : cluster.nodes().values())
            {
                final DatapathCounters counters = node.datapath().counters();
                received += counters.receivedCount();
                counters.drops().forEach((reason, count) -> drops.merge(reason.name(), count, Long::sum));
                final ConntrackCounters connections = node.datapath().connections().counters();
                evictions += connections.evictions();
                insertFailures += connections.insertFailures();
            }
            return new Result(pods, cluster.agentThreads(), idle, probes, connected, notStarted, failed, setupNs,
                matrixNs, peakHeapUsed, heapAfterGc, received, drops, evictions, insertFailures,
                cluster.agentErrorCount());
        }
    }

    public static void main(final String[] args)
    {
        int[] podCounts = {100, 250, 500, 1000};
        int[] threadCounts = {0, 2};
        IdleMode idle = IdleMode.BLOCKING;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--short" -> podCounts = new int[] {100};
                case "--pods" -> podCounts = ints(args[++i]);
                case "--threads" -> threadCounts = ints(args[++i]);
                case "--idle" -> idle = IdleMode.ofLabel(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                    + "; use [--short] [--pods 100,250,500,1000] [--threads 0,2] [--idle blocking|yield|busy-spin]");
            }
        }
        System.out.printf(Locale.ROOT, "%d nodes, full TCP matrix, rounds of %d probes, max heap %d MiB, %d cpus%n%n",
            NODES, PROBES_PER_ROUND, Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        System.out.println("| pods | threads | probes | connected | setup s | matrix s | probes/s | peak heap MiB "
            + "| live heap after GC MiB | conntrack evictions |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        boolean allGood = true;
        for (final int pods : podCounts)
        {
            for (final int threads : threadCounts)
            {
                final Result result = run(pods, threads, idle);
                System.out.printf(Locale.ROOT, "| %,d | %s | %,d | %,d | %.2f | %.2f | %,.0f | %d | %d | %,d |%n",
                    result.pods(), result.threads() == 0 ? "0 (caller)" : result.threads() + " (" + idle.label() + ")",
                    result.probes(), result.connected(), result.setupNs() / 1e9, result.matrixNs() / 1e9,
                    result.probesPerSecond(), result.peakHeapUsedBytes() >> 20, result.heapAfterGcBytes() >> 20,
                    result.conntrackEvictions());
                if (!result.allConnected() || !result.drops().isEmpty() || result.agentErrors() > 0)
                {
                    allGood = false;
                    System.out.println("  FAILED: " + result);
                }
            }
        }
        if (!allGood)
        {
            System.exit(1);
        }
    }

    private static int[] ints(final String commaSeparated)
    {
        return Arrays.stream(commaSeparated.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
