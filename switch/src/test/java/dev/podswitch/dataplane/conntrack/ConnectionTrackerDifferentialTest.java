package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.PacketMeta;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.podswitch.dataplane.conntrack.ConnectionTracker.MISS;
import static dev.podswitch.dataplane.conntrack.Packets.ACK;
import static dev.podswitch.dataplane.conntrack.Packets.FIN;
import static dev.podswitch.dataplane.conntrack.Packets.PSH;
import static dev.podswitch.dataplane.conntrack.Packets.RST;
import static dev.podswitch.dataplane.conntrack.Packets.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ConnectionTracker} against {@link ReferenceTracker} on random packet sequences (fixed
 * seed): few hosts and ports so that tuples recur in both directions, every protocol, flags and
 * chunks a stack would and would not send, ICMP errors quoting tracked and untracked flows, time
 * steps from nanoseconds to days, policy allowing most misses, occasional removal and full sweeps.
 * Every lookup and insert must agree on hit or miss, direction, relation, validity, state, expiry
 * and policy generation; the table must never need to evict (it is large enough), so its size
 * must equal the reference's. Inserts are charged to random zones (nobody, either end, the shared
 * one) under a small limit, so refusals are frequent: both must refuse the same ones, and every
 * zone must hold as many entries in both.
 */
class ConnectionTrackerDifferentialTest
{
    private static final long SEED = 0xC0_2024_0609L;
    private static final int SEQUENCES = 2_000;
    private static final int STEPS = 200;
    private static final long S = 1_000_000_000L;
    private static final int[] HOSTS = {Packets.POD_A, Packets.POD_B, Packets.POD_C};
    private static final int ZONE_LIMIT = 6;
    private static final int[] ZONES = {Packets.POD_A, Packets.POD_B, Packets.POD_C, ConnectionTracker.FOREIGN_ZONE};
    private static final int[] TCP_FLAGS = {SYN, SYN, SYN | ACK, SYN | ACK, ACK, ACK, PSH | ACK, FIN | ACK, FIN,
        RST, RST | ACK, 0, SYN | FIN, PSH};
    private static final int[] CHUNKS = {1, 1, 2, 2, 0, 10, 11, 6, 7, 8, 14, 4};

    private int hits;
    private int related;
    private int invalid;
    private int reopened;
    private int zoneFull;

    @Test
    void shouldAgreeWithReferenceWhenGivenRandomPacketSequences()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int sequence = 0; sequence < SEQUENCES; sequence++)
        {
            runSequence(random, sequence);
        }
        // A differential test that never reaches the interesting cases proves nothing.
        assertTrue(hits > 50_000, "hits " + hits);
        assertTrue(related > 1_000, "related " + related);
        assertTrue(invalid > 1_000, "invalid " + invalid);
        assertTrue(reopened > 40, "reopened " + reopened);
        assertTrue(zoneFull > 1_000, "refused for a full zone " + zoneFull);
    }

    private void runSequence(final SplittableRandom random, final int sequence)
    {
        final ConnectionTracker tracker = new ConnectionTracker(1024, ConntrackTimeouts.DEFAULTS, ZONE_LIMIT);
        final ReferenceTracker reference = new ReferenceTracker();
        final PacketMeta meta = new PacketMeta();
        long nowNs = random.nextLong(0, 1L << 40);
        for (int step = 0; step < STEPS; step++)
        {
            nowNs += timeStep(random);
            randomPacket(random, meta);
            final String where = "sequence " + sequence + " step " + step;
            final long removalsBefore = tracker.counters().removals();
            final long handle = tracker.lookup(meta, nowNs);
            final ReferenceTracker.Result expected = reference.lookup(meta, nowNs);
            assertAgree(tracker, handle, expected, where + " lookup");
            reopened += (int)(tracker.counters().removals() - removalsBefore);
            if (handle == MISS && random.nextInt(10) < 8)
            {
                final int zone = switch (random.nextInt(4))
                {
                    case 0 -> ConnectionTracker.NO_ZONE;
                    case 1 -> meta.ipDestination;
                    case 2 -> ConnectionTracker.FOREIGN_ZONE;
                    default -> meta.ipSource;
                };
                final long inserted = tracker.insert(meta, nowNs, step, zone);
                final ReferenceTracker.Result expectedInsert = reference.insert(meta, nowNs, step, zone, ZONE_LIMIT);
                assertEquals(expectedInsert == ReferenceTracker.Result.ZONE_FULL, inserted == ConnectionTracker.ZONE_FULL,
                    where + " zone full");
                if (inserted == ConnectionTracker.ZONE_FULL)
                {
                    zoneFull++;
                }
                else
                {
                    assertAgree(tracker, inserted, expectedInsert, where + " insert");
                }
            }
            else if (handle != MISS && random.nextInt(40) == 0)
            {
                tracker.remove(handle);
                reference.remove(expected.connection());
            }
            if (step % 50 == 49)
            {
                assertEquals(reference.sweepAll(nowNs), tracker.sweep(nowNs, tracker.capacity()), where + " sweep");
            }
            assertEquals(reference.connections.size(), tracker.size(), where + " size");
            for (final int zone : ZONES)
            {
                assertEquals(reference.zoneSize(zone), tracker.zoneSize(zone), where + " zone " + zone);
            }
        }
        final ConntrackCounters c = tracker.counters();
        assertEquals(0, c.evictions(), "the table is large enough never to evict");
        assertEquals(0, c.insertFailures());
        ConnectionTrackerTableTest.assertPartitions(tracker);
    }

    private void assertAgree(final ConnectionTracker tracker, final long handle, final ReferenceTracker.Result expected,
        final String where)
    {
        assertEquals(expected == ReferenceTracker.Result.MISS, handle == MISS, where + " hit or miss");
        if (handle == MISS)
        {
            return;
        }
        hits++;
        related += ConnectionTracker.isRelated(handle) ? 1 : 0;
        invalid += ConnectionTracker.isInvalid(handle) ? 1 : 0;
        final ReferenceTracker.Connection c = expected.connection();
        final ConntrackEntry entry = tracker.describe(handle);
        assertEquals(expected.reply(), ConnectionTracker.isReply(handle), where + " direction");
        assertEquals(expected.related(), ConnectionTracker.isRelated(handle), where + " related");
        assertEquals(expected.invalid(), ConnectionTracker.isInvalid(handle), where + " invalid");
        assertEquals(c.tuple, new ReferenceTracker.Tuple(entry.protocol(), entry.source(), entry.destination(),
            entry.sourcePort(), entry.destinationPort()), where + " tuple");
        assertEquals(c.state, entry.state(), where + " state of " + c.tuple);
        assertEquals(c.seenReply, entry.seenReply(), where + " seen reply");
        assertEquals(c.expiryNs, entry.expiryNs(), where + " expiry in " + c.state);
        assertEquals(c.policyGeneration, tracker.policyGeneration(handle), where + " generation");
        assertEquals(c.zone, entry.zone(), where + " zone");
    }

    private static long timeStep(final SplittableRandom random)
    {
        final int roll = random.nextInt(100);
        if (roll < 70)
        {
            return random.nextLong(0, 3 * S);
        }
        if (roll < 90)
        {
            return random.nextLong(0, 40 * S);
        }
        return roll < 97 ? random.nextLong(0, 200 * S) : random.nextLong(0, 7 * 24 * 3600 * S);
    }

    private static int host(final SplittableRandom random)
    {
        return HOSTS[random.nextInt(HOSTS.length)];
    }

    private static int pick(final SplittableRandom random, final int... values)
    {
        return values[random.nextInt(values.length)];
    }

    private static void randomPacket(final SplittableRandom random, final PacketMeta meta)
    {
        final int source = host(random);
        int destination = host(random);
        while (destination == source)
        {
            destination = host(random);
        }
        switch (random.nextInt(10))
        {
            case 0, 1, 2, 3 -> Packets.tcp(meta, source, destination, pick(random, 40000, 40001, 80),
                pick(random, 40000, 80), pick(random, TCP_FLAGS));
            case 4, 5 -> Packets.udp(meta, source, destination, pick(random, 5353, 53), pick(random, 53, 5353));
            case 6 -> Packets.sctp(meta, source, destination, pick(random, 9, 10), pick(random, 9, 10),
                pick(random, CHUNKS));
            case 7 -> Packets.echo(meta, pick(random, 8, 8, 0, 0, 13), source, destination, pick(random, 1, 2));
            case 8 ->
            {
                final int quotedProtocol = pick(random, 6, 17, 17, 132, 1, 47);
                final int quotedSource = random.nextInt(10) == 0 ? source : destination;
                // Mostly legitimate errors (sent by the quoted packet's destination), some forged.
                int quotedDestination = random.nextInt(5) != 0 ? source : host(random);
                while (quotedDestination == quotedSource)
                {
                    quotedDestination = host(random);
                }
                final int sourcePort = quotedProtocol == 1 ? pick(random, 1, 2) : pick(random, 40000, 5353, 53, 9, 80);
                final int destinationPort = quotedProtocol == 1 ? sourcePort : pick(random, 80, 53, 5353, 10, 40000);
                Packets.icmpError(meta, pick(random, 3, 11), source, destination, quotedProtocol, quotedSource,
                    quotedDestination, quotedProtocol == 47 ? 0 : sourcePort,
                    quotedProtocol == 47 ? 0 : destinationPort, quotedProtocol == 1 ? pick(random, 8, 0, 13) : 0);
            }
            default -> Packets.ipv4(meta, pick(random, 47, 50), source, destination);
        }
    }
}
