package dev.podswitch.bench.conntrack;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.conntrack.ConntrackCounters;
import dev.podswitch.dataplane.conntrack.ConntrackState;
import dev.podswitch.dataplane.conntrack.ConntrackTimeouts;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Random;

/**
 * Connection-tracker lookups per second, the two paths a packet takes through
 * {@link ConnectionTracker}: {@link #hit} — a packet of an established (replied, assured) UDP
 * flow, alternating original and reply direction, over 1, 1,000 or 100,000 flows; and
 * {@link #missInsert} — the first packet of a flow never seen before, which misses and is
 * inserted into a full table (65,536 slots, kept full), so that almost every insert evicts an
 * unassured entry. Run together, their ratio is the price of a new connection over an old one
 * (before any policy decision, which the policy benchmarks measure).
 *
 * <p>Each invocation handles 1,024 packets and checks every one took the path it measures: all
 * hits in {@code hit}; in {@code missInsert} all misses and all inserted (no insert failure).
 */
public class ConntrackBenchmark extends BenchmarkBase
{
    static final int PACKETS = 1024;
    private static final int UDP = IpProtocol.UDP.number();
    private static final int CLIENT_NETWORK = (10 << 24) | (244 << 16);
    private static final int SERVER_NETWORK = (10 << 24) | (245 << 16);

    /** Established flows, and a stream of packets that belong to them. */
    @State(Scope.Thread)
    public static class Established
    {
        @Param({"1", "1000", "100000"})
        public int flows;

        /** Two packets per flow: original direction, then reply. */
        PacketMeta[] packets;
        ConnectionTracker tracker;
        int cursor;
        long nowNs;

        @Setup(Level.Trial)
        public void establish()
        {
            // Load at most 0.2. At 0.38 (100,000 flows in 262,144 slots) 0 to 3 inserts per run find
            // their 16-slot probe window full of assured entries and are refused (insertFailures).
            tracker = new ConnectionTracker(Integer.highestOneBit(flows * 5) << 1, ConntrackTimeouts.DEFAULTS);
            packets = new PacketMeta[2 * flows];
            final Random random = new Random(42);
            nowNs = System.nanoTime();
            for (int f = 0; f < flows; f++)
            {
                final int client = CLIENT_NETWORK + 2 + random.nextInt(60_000);
                final int server = SERVER_NETWORK + 2 + random.nextInt(60_000);
                final int clientPort = 1024 + random.nextInt(60_000);
                final int serverPort = 1 + random.nextInt(1023);
                packets[2 * f] = udp(client, server, clientPort, serverPort);
                packets[2 * f + 1] = udp(server, client, serverPort, clientPort);
                if (tracker.lookup(packets[2 * f], nowNs) == ConnectionTracker.MISS)
                {
                    tracker.insert(packets[2 * f], nowNs, 1);
                }
                final long reply = tracker.lookup(packets[2 * f + 1], nowNs);
                if (reply == ConnectionTracker.MISS || !ConntrackState.isAssured(tracker.state(reply)))
                {
                    throw new IllegalStateException("flow " + f + " not established: " + tracker.describe(reply));
                }
            }
        }
    }

    /** A full table and a source of tuples never seen before. */
    @State(Scope.Thread)
    public static class Fresh
    {
        static final int CAPACITY = 1 << 16;

        final PacketMeta packet = udp(0, 0, 0, 0);
        ConnectionTracker tracker;
        long serial;
        long nowNs;
        long evictionsBefore;

        @Setup(Level.Trial)
        public void fill()
        {
            tracker = new ConnectionTracker(CAPACITY, ConntrackTimeouts.DEFAULTS);
            nowNs = System.nanoTime();
            for (int i = 0; i < 4 * CAPACITY; i++)
            {
                next();
                tracker.insert(packet, nowNs, 1);
            }
            if (tracker.size() < CAPACITY * 9 / 10)
            {
                throw new IllegalStateException("table not full after filling: " + tracker.size() + " of " + CAPACITY);
            }
        }

        /** The next unseen tuple: 2^48 of them before one repeats. */
        void next()
        {
            final long s = serial++;
            packet.ipSource = CLIENT_NETWORK + (int)(s >>> 16);
            packet.sourcePort = (int)s & 0xFFFF;
        }

        @Setup(Level.Iteration)
        public void markEvictions()
        {
            evictionsBefore = tracker.counters().evictions();
        }

        @TearDown(Level.Iteration)
        public void checkEvicted()
        {
            final ConntrackCounters counters = tracker.counters();
            if (counters.evictions() == evictionsBefore || counters.insertFailures() != 0)
            {
                throw new IllegalStateException("expected evictions and no insert failure: " + counters);
            }
        }
    }

    static PacketMeta udp(final int source, final int destination, final int sourcePort, final int destinationPort)
    {
        final PacketMeta meta = new PacketMeta();
        meta.etherType = EthernetFlyweight.ETHER_TYPE_IPV4;
        meta.ipProtocol = UDP;
        meta.ipSource = source;
        meta.ipDestination = destination == 0 ? SERVER_NETWORK + 2 : destination;
        meta.sourcePort = sourcePort;
        meta.destinationPort = destinationPort == 0 ? 53 : destinationPort;
        return meta;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int hit(final Established state)
    {
        final ConnectionTracker tracker = state.tracker;
        final PacketMeta[] packets = state.packets;
        final long nowNs = state.nowNs += 1_000;
        int cursor = state.cursor;
        int hits = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            if (tracker.lookup(packets[cursor], nowNs) != ConnectionTracker.MISS)
            {
                hits++;
            }
            if (++cursor == packets.length)
            {
                cursor = 0;
            }
        }
        state.cursor = cursor;
        if (hits != PACKETS)
        {
            throw new IllegalStateException((PACKETS - hits) + " of " + PACKETS + " established packets missed");
        }
        return hits;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int missInsert(final Fresh state)
    {
        final ConnectionTracker tracker = state.tracker;
        final PacketMeta packet = state.packet;
        final long nowNs = state.nowNs += 1_000;
        int inserted = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            state.next();
            if (tracker.lookup(packet, nowNs) == ConnectionTracker.MISS
                && tracker.insert(packet, nowNs, 1) != ConnectionTracker.MISS)
            {
                inserted++;
            }
        }
        if (inserted != PACKETS)
        {
            throw new IllegalStateException((PACKETS - inserted) + " of " + PACKETS + " new flows hit or were refused");
        }
        return inserted;
    }
}
