package dev.podswitch.bench.flood;

import dev.podswitch.control.ClusterOptions;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The command line of {@link ClusterFloodRun}: options, the baseline and flood runs, two result
 * tables (the other pods' outcome; the switch's side) and a PASS/MISS line per target and run.
 * Missed targets are findings and do not change the exit status; a broken invariant does:
 * 0 all held, 2 some node's counters did not balance after a round or a segment reached the wrong
 * pod, 3 a run measured nothing (no traffic, or the flood never reached its target).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.podswitch.bench.flood.ClusterFloodRun [--short]
 *   [--rounds 400] [--flood-burst 2048] [--flood udp-answered,udp-refused,tcp-syn] [--clients 16]
 *   [--servers 4] [--dns 64] [--tcp 64] [--long-flows 32] [--long-segments 4] [--threads 0]
 *   [--conntrack-capacity N]
 * </pre>
 */
final class FloodReport
{
    static final double NEW_CONNECTION_TARGET = 0.999;
    private static final String CAPACITY_PROP_NAME = "switch.conntrack.capacity";

    private FloodReport()
    {
    }

    static int main(final String[] args, final PrintStream out)
    {
        int rounds = 400;
        int burst = ClusterOptions.DEFAULT_RING_SIZE / 2;
        int clients = 16;
        int servers = 4;
        int dns = 64;
        int tcp = 64;
        int longFlows = 32;
        int longSegments = 4;
        int threads = 0;
        List<FloodKind> kinds = List.of(FloodKind.UDP_ANSWERED, FloodKind.UDP_REFUSED, FloodKind.TCP_SYN);
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--short" -> rounds = 60;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--flood-burst" -> burst = Integer.parseInt(args[++i]);
                case "--flood" -> kinds = kinds(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--servers" -> servers = Integer.parseInt(args[++i]);
                case "--dns" -> dns = Integer.parseInt(args[++i]);
                case "--tcp" -> tcp = Integer.parseInt(args[++i]);
                case "--long-flows" -> longFlows = Integer.parseInt(args[++i]);
                case "--long-segments" -> longSegments = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                // A static final of NodeDatapath, read when the class loads: set before any cluster exists.
                case "--conntrack-capacity" -> System.setProperty(CAPACITY_PROP_NAME, args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; see the Javadoc of "
                    + "FloodReport or bench/README.md#flood-and-soak for the options");
            }
        }
        final ClusterFloodRun.Config config = new ClusterFloodRun.Config(rounds, burst, clients, servers, dns, tcp,
            longFlows, longSegments, threads);
        out.printf(Locale.ROOT, "flood run: %d nodes, %d clients, %d servers, a flooder and its target; %d rounds; per "
                + "round %,d flood frames and %,d sends of the others (%d DNS, %d TCP handshakes, %d long flows × %d "
                + "segments each way); ring %,d slots/node; nodes on %s; %d cpus, max heap %d MiB%n",
            FloodCluster.NODES.size(), clients, servers, rounds, burst, config.sendsPerRound(), dns, tcp, longFlows,
            longSegments, ClusterOptions.DEFAULT_RING_SIZE, threads == 0 ? "the driver's thread" : threads + " threads",
            Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        final List<FloodResult> results = new ArrayList<>();
        final List<FloodKind> all = new ArrayList<>();
        all.add(FloodKind.NONE);
        all.addAll(kinds);
        for (final FloodKind kind : all)
        {
            final FloodResult result = ClusterFloodRun.run(config, kind);
            out.printf(Locale.ROOT, "  %-13s done in %.1f s: new connections %.3f %%, long-flow segments lost %,d, "
                + "balance %s%n", kind.label(), result.wallNs() / 1e9, 100 * result.newSuccess(), result.longLost(),
                result.balanced() ? "held" : "BROKEN");
            results.add(result);
        }
        out.printf(Locale.ROOT, "conntrack capacity %,d slots/node%n%n", results.getFirst().conntrackCapacity());
        printOthers(results, out);
        printSwitch(results, out);
        return printTargets(results, out);
    }

    private static List<FloodKind> kinds(final String commaSeparated)
    {
        final List<FloodKind> kinds = new ArrayList<>();
        for (final String label : commaSeparated.split(","))
        {
            final FloodKind kind = FloodKind.ofLabel(label.trim());
            if (kind != FloodKind.NONE)
            {
                kinds.add(kind);
            }
        }
        return kinds;
    }

    private static void printOthers(final List<FloodResult> results, final PrintStream out)
    {
        out.println("The other pods (new connections: DNS-like exchanges and TCP handshakes; established: long flows)");
        out.println();
        out.println("| flood | flood flows/s | ms/round | DNS ok | TCP ok | new ok % | worst round % | first failure "
            + "| long-flow segments lost | flows with loss |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        for (final FloodResult r : results)
        {
            out.printf(Locale.ROOT, "| %s | %,.0f | %.2f | %,d / %,d | %,d / %,d | %.3f | %.1f | %s | %,d of %,d | %d of %d |%n",
                r.kind().label(), r.floodFlowsPerSecond(), r.msPerRound(), r.dnsOk(), r.dnsTried(), r.tcpOk(),
                r.tcpTried(), 100 * r.newSuccess(), 100 * r.worstRoundSuccess(), firstFailure(r), r.longLost(),
                r.longOffered(), r.longFlowsWithLoss(), r.longFlows());
        }
        out.println();
    }

    private static String firstFailure(final FloodResult r)
    {
        if (r.firstFailureRound() < 0)
        {
            return "none";
        }
        return String.format(Locale.ROOT, "round %d, after %,d flood flows, table %.0f %% full", r.firstFailureRound(),
            r.firstFailureFloodFlows(), 100 * r.firstFailureTableFill());
    }

    private static void printSwitch(final List<FloodResult> results, final PrintStream out)
    {
        out.println("The switch (sums over both nodes; table fill: the fullest node's at the end)");
        out.println();
        out.println("| flood | flood frames offered | taken by the ring | reached the target | answers to the flooder "
            + "| frames received | conntrack inserts | evictions | insert failures | table fill | drops | balance |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for (final FloodResult r : results)
        {
            out.printf(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %.1f %% | %s | %s |%n",
                r.kind().label(), r.floodOffered(), r.floodAccepted(), r.framesAtTarget(), r.framesAtFlooder(),
                r.framesReceived(), r.conntrackInserts(), r.conntrackEvictions(), r.conntrackInsertFailures(),
                100 * r.tableFillAtEnd(), r.drops().isEmpty() ? "none" : r.drops().toString(),
                r.balanced() ? "held after all " + r.rounds() + " rounds" : "BROKEN in " + r.unbalancedRounds() + " rounds");
        }
        out.println();
    }

    private static int printTargets(final List<FloodResult> results, final PrintStream out)
    {
        final FloodResult baseline = results.getFirst();
        int exit = 0;
        out.println("Targets");
        for (final FloodResult r : results)
        {
            final boolean noLoss = r.longLost() == 0;
            final boolean newOk = r.newSuccess() >= NEW_CONNECTION_TARGET;
            out.printf(Locale.ROOT, "- %s: others' established flows, 0 loss: %s (%,d of %,d segments lost, %,d of "
                    + "them server → client; %d of %d flows hit)%n", r.kind().label(), noLoss ? "PASS" : "MISS",
                r.longLost(), r.longOffered(), r.longLostTowardClients(), r.longFlowsWithLoss(), r.longFlows());
            out.printf(Locale.ROOT, "  %s: others' new connections >= 99.9 %%: %s (%.3f %%: DNS %.3f %%, TCP %.3f %%, "
                    + "%,d not started; %.3f× the baseline's)%n", r.kind().label(), newOk ? "PASS" : "MISS",
                100 * r.newSuccess(), 100 * r.dnsSuccess(), 100 * r.tcpSuccess(), r.notStarted(),
                r.newSuccess() / baseline.newSuccess());
            out.printf(Locale.ROOT, "  %s: received = forwarded + answered + Σ drops after every round: %s%s%n",
                r.kind().label(), r.balanced() ? "HELD" : "BROKEN — ", r.balanced() ? "" : r.firstUnbalanced());
            if (!r.balanced() || r.misdelivered() != 0)
            {
                exit = 2;
                if (r.misdelivered() != 0)
                {
                    out.printf(Locale.ROOT, "  %s: BROKEN — %,d long-flow segments reached the wrong pod%n",
                        r.kind().label(), r.misdelivered());
                }
            }
            if (!r.measuredSomething())
            {
                out.printf(Locale.ROOT, "  %s: the run measured nothing (no traffic, or the flood never reached its "
                    + "target)%n", r.kind().label());
                exit = exit == 0 ? 3 : exit;
            }
            if (r.idleTimeouts() != 0 || r.agentErrors() != 0 || r.distinctErrors() != 0)
            {
                out.printf(Locale.ROOT, "  %s: note: %d rounds did not go idle in time, %d agent errors, %d distinct "
                    + "errors logged%n", r.kind().label(), r.idleTimeouts(), r.agentErrors(), r.distinctErrors());
            }
        }
        out.printf(Locale.ROOT, "exit %d%n", exit);
        return exit;
    }
}
