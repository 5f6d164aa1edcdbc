package dev.podswitch.bench.flood;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.conntrack.ConntrackCounters;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ProbeRegistry;
import dev.podswitch.dataplane.stats.DatapathCounters;

import java.util.Random;
import java.util.TreeMap;

/**
 * One pod floods new flows while the other pods of its cluster carry on: DNS-like UDP exchanges
 * and TCP handshakes (new connections) and long-lived TCP flows (established before the flood),
 * through parse, anti-spoof, conntrack, NetworkPolicy, routing and VXLAN between two nodes
 * ({@link FloodCluster}). It answers the hardening issue's question: does one pod's flood cost the
 * others anything — lost segments on established flows, failed new connections?
 *
 * <p>Traffic runs in rounds, as the scenario runner runs probes: the driver offers one round's
 * frames, then {@link ClusterDataplane#runUntilIdle()} carries everything (answers included) to
 * its end, then each probe is judged and the counter balance of every node is checked. Within a
 * round, the flood's frames and the others' sends are interleaved in a seeded random order, so
 * the others' packets meet a ring and a connection table the flood is filling — and a DNS query's
 * entry waits behind flood frames for its answer. The flood is bounded per round (a driver-fed
 * ring holds at most its size until the nodes run): {@code --flood-burst} frames, by default half
 * a node's ring; a burst above the ring size overflows it on purpose.
 *
 * <p>A run of each {@link FloodKind} is compared with a baseline run ({@code none}) of the same
 * traffic without the flood. See {@link FloodReport} for what is printed and the exit status.
 */
public final class ClusterFloodRun
{
    private static final long SEED = 0x5EED_F100DL;

    private ClusterFloodRun()
    {
    }

    /** The traffic of one run; every run of a comparison uses the same. */
    record Config(int rounds, int floodBurst, int clients, int servers, int dnsPerRound, int tcpPerRound, int longFlows,
        int longSegments, int threads)
    {
        Config
        {
            if (rounds < 1 || floodBurst < 0 || clients < 1 || servers < 1 || dnsPerRound < 0 || tcpPerRound < 0
                || longFlows < 1 || longSegments < 1 || threads < 0)
            {
                throw new IllegalArgumentException("every count must be >= 1 (flood burst, DNS and TCP per round, "
                    + "threads >= 0): " + this);
            }
            if (longFlows > Flooder.FIRST_SOURCE_PORT)
            {
                throw new IllegalArgumentException("longFlows=" + longFlows + " > " + Flooder.FIRST_SOURCE_PORT);
            }
            if (dnsPerRound + tcpPerRound > ProbeRegistry.CAPACITY)
            {
                throw new IllegalArgumentException("DNS + TCP per round > " + ProbeRegistry.CAPACITY
                    + " probes in flight at once (the registry's source ports)");
            }
        }

        int sendsPerRound()
        {
            return dnsPerRound + tcpPerRound + 2 * longFlows * longSegments;
        }
    }

    static FloodResult run(final Config config, final FloodKind kind)
    {
        try (FloodCluster pods = new FloodCluster(config.clients(), config.servers(), config.longFlows(),
            config.threads()))
        {
            final ClusterDataplane cluster = pods.cluster();
            openLongFlows(pods);
            final LongFlows longFlows = pods.longFlows();
            final Flooder flooder = new Flooder(kind, pods.flooder(), pods.target());
            final ProbeRegistry registry = cluster.probes();
            final Random random = new Random(SEED);
            final int sends = config.sendsPerRound();
            final int[] order = new int[sends];
            final Probe[] probes = new Probe[config.dnsPerRound() + config.tcpPerRound()];
            final RoundTally tally = new RoundTally();
            final long startNs = System.nanoTime();
            for (int round = 0; round < config.rounds(); round++)
            {
                for (int i = 0; i < sends; i++)
                {
                    order[i] = i;
                }
                shuffle(order, random);
                int floodSent = 0;
                for (int i = 0; i < sends; i++)
                {
                    final int floodDue = (int)((long)config.floodBurst() * (i + 1) / (sends + 1));
                    flooder.offer(floodDue - floodSent);
                    floodSent = floodDue;
                    send(order[i], round, config, pods, probes);
                }
                flooder.offer(config.floodBurst() - floodSent);
                if (!cluster.runUntilIdle())
                {
                    tally.idleTimeouts++;
                }
                tally.judge(round, config, probes, registry, longFlows, flooder, pods);
                tally.checkBalance(round, pods);
            }
            final long wallNs = System.nanoTime() - startNs;
            return tally.result(kind, config, pods, flooder, wallNs);
        }
    }

    /** The long flows' handshakes, one step for all flows at a time; throws unless every step arrived. */
    private static void openLongFlows(final FloodCluster pods)
    {
        final LongFlows flows = pods.longFlows();
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < flows.count(); i++)
            {
                if (!flows.handshake(i, step))
                {
                    throw new IllegalStateException("the ring refused handshake step " + step + " of long flow " + i);
                }
            }
            if (!pods.cluster().runUntilIdle())
            {
                throw new IllegalStateException("the cluster did not go idle after handshake step " + step);
            }
            for (int i = 0; i < flows.count(); i++)
            {
                if (!flows.handshakeArrived(step, i))
                {
                    throw new IllegalStateException("handshake step " + step + " of long flow " + i + " did not arrive; "
                        + "drops: " + dropsOf(pods));
                }
            }
        }
        if (flows.misdelivered() != 0)
        {
            throw new IllegalStateException(flows.misdelivered() + " long-flow segments reached the wrong pod");
        }
        flows.resetCounts();
    }

    /** Send {@code action} of the round: a DNS probe, a TCP probe, or one long-flow segment. */
    private static void send(final int action, final int round, final Config config, final FloodCluster pods,
        final Probe[] probes)
    {
        final int dns = config.dnsPerRound();
        final int tcp = config.tcpPerRound();
        if (action < dns + tcp)
        {
            final boolean isDns = action < dns;
            final int k = isDns ? action : action - dns;
            final Attachment[] clients = pods.clients();
            final Attachment[] servers = pods.servers();
            final Attachment client = clients[k % clients.length];
            final Attachment server = servers[(k / clients.length + k + round) % servers.length];
            final Probe probe = new Probe(isDns ? IpProtocol.UDP : IpProtocol.TCP, client.name(), client.ip(),
                server.name(), server.ip(), isDns ? FloodCluster.DNS_PORT : FloodCluster.WEB_PORT);
            probes[action] = client.endpoint().start(probe) ? probe : null;
            return;
        }
        final int segment = action - dns - tcp;
        pods.longFlows().send(segment / (2 * config.longSegments()), (segment & 1) == 0);
    }

    private static void shuffle(final int[] values, final Random random)
    {
        for (int i = values.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }

    static TreeMap<String, Long> dropsOf(final FloodCluster pods)
    {
        final TreeMap<String, Long> drops = new TreeMap<>();
        for (final ClusterNode node : pods.nodes())
        {
            node.datapath().counters().drops().forEach((reason, count) -> drops.merge(reason.name(), count, Long::sum));
        }
        return drops;
    }

    /** The fullest connection table of the cluster, as a fraction of its capacity. */
    static double tableFill(final FloodCluster pods)
    {
        double fullest = 0;
        for (final ClusterNode node : pods.nodes())
        {
            final ConnectionTracker tracker = node.datapath().connections();
            fullest = Math.max(fullest, (double)tracker.size() / tracker.capacity());
        }
        return fullest;
    }

    /** Per-round judgement and the running totals of one run. Driver thread only. */
    private static final class RoundTally
    {
        long dnsTried;
        long dnsOk;
        long tcpTried;
        long tcpOk;
        long notStarted;
        int firstFailureRound = -1;
        long firstFailureFloodFlows;
        double firstFailureTableFill;
        double worstRoundSuccess = 1;
        int firstLossRound = -1;
        int unbalancedRounds;
        String firstUnbalanced = "";
        int idleTimeouts;

        void judge(final int round, final Config config, final Probe[] probes, final ProbeRegistry registry,
            final LongFlows longFlows, final Flooder flooder, final FloodCluster pods)
        {
            int ok = 0;
            for (int i = 0; i < probes.length; i++)
            {
                final Probe probe = probes[i];
                final boolean isDns = i < config.dnsPerRound();
                final boolean connected = probe != null && probe.connected() && probe.answer() == Probe.Answer.OPEN
                    && probe.sourceIpSeenAtDestination() == probe.sourceIp();
                if (isDns)
                {
                    dnsTried++;
                    dnsOk += connected ? 1 : 0;
                }
                else
                {
                    tcpTried++;
                    tcpOk += connected ? 1 : 0;
                }
                notStarted += probe == null ? 1 : 0;
                ok += connected ? 1 : 0;
                if (probe != null)
                {
                    registry.release(probe);
                    probes[i] = null;
                }
            }
            if (probes.length > 0)
            {
                worstRoundSuccess = Math.min(worstRoundSuccess, (double)ok / probes.length);
            }
            if (ok < probes.length && firstFailureRound < 0)
            {
                firstFailureRound = round;
                firstFailureFloodFlows = flooder.offered();
                firstFailureTableFill = tableFill(pods);
            }
            if (firstLossRound < 0 && longFlows.arrived() != longFlows.offered())
            {
                firstLossRound = round;
            }
        }

        void checkBalance(final int round, final FloodCluster pods)
        {
            boolean balanced = true;
            for (final ClusterNode node : pods.nodes())
            {
                final DatapathCounters counters = node.datapath().counters();
                if (!counters.isBalanced())
                {
                    balanced = false;
                    if (firstUnbalanced.isEmpty())
                    {
                        firstUnbalanced = "round " + round + ", " + node.name() + ": received " + counters.receivedCount()
                            + " != forwarded " + counters.forwardedCount() + " + answered " + counters.answeredCount()
                            + " + drops " + counters.droppedTotal() + " " + counters.drops();
                    }
                }
            }
            unbalancedRounds += balanced ? 0 : 1;
        }

        FloodResult result(final FloodKind kind, final Config config, final FloodCluster pods, final Flooder flooder,
            final long wallNs)
        {
            long inserts = 0;
            long evictions = 0;
            long insertFailures = 0;
            long received = 0;
            int capacity = 0;
            for (final ClusterNode node : pods.nodes())
            {
                final ConntrackCounters connections = node.datapath().connections().counters();
                inserts += connections.inserts();
                evictions += connections.evictions();
                insertFailures += connections.insertFailures();
                received += node.datapath().counters().receivedCount();
                capacity = node.datapath().connections().capacity();
            }
            final LongFlows flows = pods.longFlows();
            final ClusterDataplane cluster = pods.cluster();
            return new FloodResult(kind, config.rounds(), flooder.offered(), flooder.accepted(), pods.framesAtTarget(),
                pods.framesAtFlooder(), wallNs, dnsTried, dnsOk, tcpTried, tcpOk, notStarted, flows.offered(),
                flows.arrived(), flows.lostTowardClients(), flows.flowsWithLoss(), flows.count(), flows.misdelivered(),
                firstFailureRound, firstFailureFloodFlows, firstFailureTableFill, worstRoundSuccess, firstLossRound,
                inserts, evictions, insertFailures, tableFill(pods), capacity, received, dropsOf(pods),
                unbalancedRounds, firstUnbalanced, idleTimeouts, cluster.agentErrorCount(),
                cluster.errors().entries().size());
        }
    }

    public static void main(final String[] args)
    {
        System.exit(FloodReport.main(args, System.out));
    }
}
