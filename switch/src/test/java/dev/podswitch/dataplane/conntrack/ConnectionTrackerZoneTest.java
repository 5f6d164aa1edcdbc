package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.PacketMeta;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import static dev.podswitch.dataplane.conntrack.ConnectionTracker.MISS;
import static dev.podswitch.dataplane.conntrack.ConnectionTracker.ZONE_FULL;
import static dev.podswitch.dataplane.conntrack.Packets.ACK;
import static dev.podswitch.dataplane.conntrack.Packets.POD_A;
import static dev.podswitch.dataplane.conntrack.Packets.POD_B;
import static dev.podswitch.dataplane.conntrack.Packets.POD_C;
import static dev.podswitch.dataplane.conntrack.Packets.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-zone shares of one table: a zone at its limit is refused a new connection (and counted)
 * rather than given another's slot; eviction takes from the zone holding most entries, never from
 * a smaller one than the inserter's; and every zone's count equals its entries however they leave.
 */
class ConnectionTrackerZoneTest
{
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_000 * S;

    private static PacketMeta query(final int source, final int port)
    {
        return Packets.udp(new PacketMeta(), source, POD_C, port, 53);
    }

    @Test
    void shouldRefuseAndCountANewConnectionWhenItsZoneHoldsItsLimit()
    {
        final ConnectionTracker tracker = new ConnectionTracker(1024, ConntrackTimeouts.DEFAULTS, 8);
        for (int port = 0; port < 8; port++)
        {
            assertTrue(tracker.insert(query(POD_A, port), T0, 1, POD_A) >= 0, "A's flow " + port);
        }
        assertEquals(ZONE_FULL, tracker.insert(query(POD_A, 8), T0, 1, POD_A));
        assertEquals(1, tracker.counters().zoneFull());
        assertEquals(8, tracker.zoneSize(POD_A));
        assertEquals(8, tracker.size(), "a refused connection takes no slot");
        assertTrue(tracker.describe(tracker.lookup(query(POD_A, 0), T0)).format(T0).endsWith(" zone=10.244.0.2"),
            "conntrack -L names the zone");

        assertTrue(tracker.insert(query(POD_B, 8), T0, 1, POD_B) >= 0, "B has a share of its own");
        assertTrue(tracker.insert(query(POD_A, 0), T0, 1, POD_A) >= 0, "an already tracked connection is found");
        assertTrue(tracker.insert(query(POD_A, 9), T0, 1, ConnectionTracker.NO_ZONE) >= 0, "nobody's is not limited");

        tracker.remove(tracker.lookup(query(POD_A, 3), T0));
        assertTrue(tracker.insert(query(POD_A, 8), T0, 1, POD_A) >= 0, "room again after a removal");
        assertEquals(1, tracker.counters().zoneFull());
        ConnectionTrackerTableTest.assertPartitions(tracker);
    }

    @Test
    void shouldCountExpiredEntriesUntilTheSweepFreesThem()
    {
        final ConnectionTracker tracker = new ConnectionTracker(1024, ConntrackTimeouts.DEFAULTS, 4);
        for (int port = 0; port < 4; port++)
        {
            tracker.insert(query(POD_A, port), T0, 1, POD_A);
        }
        final long later = T0 + 31 * S;
        assertEquals(ZONE_FULL, tracker.insert(query(POD_A, 4), later, 1, POD_A),
            "unanswered queries expire after 30 s, but count until freed, as in the table's size");
        assertEquals(4, tracker.sweep(later, tracker.capacity()));
        assertEquals(0, tracker.zoneSize(POD_A));
        assertTrue(tracker.insert(query(POD_A, 4), later, 1, POD_A) >= 0);
    }

    @Test
    void shouldRejectAZoneLimitOutsideOneToCapacity()
    {
        assertThrows(IllegalArgumentException.class, () -> new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS, 0));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS, 17));
        assertThrows(IllegalArgumentException.class, () -> ConnectionTracker.zoneLimitFor(1024, 0));
        assertEquals(256, ConnectionTracker.zoneLimitFor(1024, 25));
        assertEquals(1, ConnectionTracker.zoneLimitFor(1, 25), "at least one entry");
        assertEquals(16 * ConnectionTracker.ZONE_LIMIT_PERCENT_DEFAULT / 100,
            new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS).zoneLimit());
    }

    /**
     * A 16-slot table is one probe window. B's handshake is the oldest entry; A fills the rest a
     * second later, so B's is the one closest to expiry when the window is full.
     */
    private static ConnectionTracker fullOfAAndOneOfB(final PacketMeta meta)
    {
        final ConnectionTracker tracker = new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS, 16);
        assertTrue(tracker.insert(Packets.tcp(meta, POD_B, POD_C, 40000, 443, SYN), T0, 1, POD_B) >= 0);
        for (int i = 0; i < 15; i++)
        {
            assertTrue(tracker.insert(Packets.tcp(meta, POD_A, POD_C, 1000 + i, 80, SYN), T0 + S, 1, POD_A) >= 0);
        }
        assertEquals(16, tracker.size());
        return tracker;
    }

    @Test
    void shouldEvictItsOwnUnansweredEntryRatherThanASmallerZonesWhenAFloodFindsTheWindowFull()
    {
        final PacketMeta meta = new PacketMeta();
        final ConnectionTracker tracker = fullOfAAndOneOfB(meta);

        assertTrue(tracker.insert(Packets.tcp(meta, POD_A, POD_C, 2000, 80, SYN), T0 + 2 * S, 1, POD_A) >= 0);

        final long reply = tracker.lookup(Packets.tcp(meta, POD_C, POD_B, 443, 40000, SYN | ACK), T0 + 2 * S);
        assertNotEquals(MISS, reply, "B's handshake survived A's flood");
        assertTrue(ConnectionTracker.isReply(reply));
        assertEquals(15, tracker.zoneSize(POD_A));
        assertEquals(1, tracker.zoneSize(POD_B));
        assertEquals(1, tracker.counters().evictions());
    }

    @Test
    void shouldEvictTheLargestZonesEntryWhenASmallerZoneFindsTheWindowFull()
    {
        final PacketMeta meta = new PacketMeta();
        final ConnectionTracker tracker = fullOfAAndOneOfB(meta);

        assertTrue(tracker.insert(Packets.tcp(meta, POD_C, POD_A, 5000, 22, SYN), T0 + 2 * S, 1, POD_C) >= 0);

        assertNotEquals(MISS, tracker.lookup(Packets.tcp(meta, POD_C, POD_B, 443, 40000, SYN | ACK), T0 + 2 * S),
            "the flood pays, not B");
        assertEquals(14, tracker.zoneSize(POD_A));
        assertEquals(1, tracker.zoneSize(POD_B));
        assertEquals(1, tracker.zoneSize(POD_C));
    }

    @Test
    void shouldKeepEveryZonesCountEqualToItsEntriesWhenEntriesLeaveEveryWay()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final int[] zones = {ConnectionTracker.NO_ZONE, POD_A, POD_B, POD_C, ConnectionTracker.FOREIGN_ZONE};
        final ConnectionTracker tracker = new ConnectionTracker(64, ConntrackTimeouts.DEFAULTS, 10);
        final PacketMeta meta = new PacketMeta();
        long nowNs = T0;
        for (int step = 0; step < 50_000; step++)
        {
            nowNs += random.nextLong(0, S / 4);
            final int source = Packets.ip(10, 1, 0, random.nextInt(8));
            final int port = random.nextInt(40);
            switch (random.nextInt(20))
            {
                case 0 -> tracker.remove(tracker.lookup(Packets.udp(meta, source, POD_C, port, 53), nowNs));
                case 1 -> tracker.sweep(nowNs, random.nextInt(1, 64));
                case 2 -> tracker.removeAllOf(source);
                case 3, 4 -> tracker.lookup(Packets.udp(meta, POD_C, source, 53, port), nowNs);
                default -> tracker.insert(Packets.udp(meta, source, POD_C, port, 53), nowNs, 1,
                    zones[random.nextInt(zones.length)]);
            }
            final Map<Integer, Long> held = tracker.snapshot().stream()
                .collect(Collectors.groupingBy(ConntrackEntry::zone, Collectors.counting()));
            for (final int zone : zones)
            {
                if (zone != ConnectionTracker.NO_ZONE)
                {
                    assertEquals(held.getOrDefault(zone, 0L).intValue(), tracker.zoneSize(zone), "step " + step);
                    assertTrue(tracker.zoneSize(zone) <= tracker.zoneLimit());
                }
            }
        }
        final ConntrackCounters c = tracker.counters();
        assertTrue(c.evictions() > 100 && c.zoneFull() > 100 && c.expirations() > 100 && c.removals() > 100,
            c.toString());
        ConnectionTrackerTableTest.assertPartitions(tracker);
    }
}
