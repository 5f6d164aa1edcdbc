package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.PacketMeta;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.podswitch.dataplane.conntrack.ConnectionTracker.MISS;
import static dev.podswitch.dataplane.conntrack.ConnectionTracker.index;
import static dev.podswitch.dataplane.conntrack.Packets.ACK;
import static dev.podswitch.dataplane.conntrack.Packets.POD_A;
import static dev.podswitch.dataplane.conntrack.Packets.POD_B;
import static dev.podswitch.dataplane.conntrack.Packets.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded table: capacity, eviction under floods, sweeping, removal and the counter partitions. */
class ConnectionTrackerTableTest
{
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_000 * S;

    static void assertPartitions(final ConnectionTracker tracker)
    {
        final ConntrackCounters c = tracker.counters();
        assertEquals(c.inserts(), tracker.size() + c.evictions() + c.expirations() + c.removals(), c.toString());
        assertEquals(c.lookups(), c.hits() + c.misses(), c.toString());
        assertTrue(tracker.size() <= tracker.capacity());
        assertEquals(tracker.size(), tracker.snapshot().size());
    }

    /** A distinct UDP flow per {@code n}: sources across a /16, source ports across the range. */
    private static PacketMeta flow(final PacketMeta meta, final int n)
    {
        return Packets.udp(meta, Packets.ip(10, 1, n >>> 8 & 0xFF, n & 0xFF), POD_B, 1024 + (n >>> 16), 53);
    }

    private static PacketMeta answer(final PacketMeta meta, final int n)
    {
        return Packets.udp(meta, POD_B, Packets.ip(10, 1, n >>> 8 & 0xFF, n & 0xFF), 53, 1024 + (n >>> 16));
    }

    @Test
    void shouldRejectCapacityWhenNotAPowerOfTwoInRange()
    {
        for (final int capacity : new int[] {0, -4, 3, 1000, ConnectionTracker.MAX_CAPACITY * 2})
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConnectionTracker(capacity, ConntrackTimeouts.DEFAULTS));
            assertTrue(e.getMessage().contains("capacity=" + capacity), e.getMessage());
        }
        assertEquals(1, new ConnectionTracker(1, ConntrackTimeouts.DEFAULTS).capacity());
        assertThrows(IllegalArgumentException.class, () -> new ConntrackTimeouts(java.time.Duration.ZERO,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null));
    }

    @Test
    void shouldNeverExceedCapacityWhenFloodedWithTenTimesCapacityNewFlows()
    {
        final ConnectionTracker tracker = new ConnectionTracker(1024, ConntrackTimeouts.DEFAULTS);
        final PacketMeta meta = new PacketMeta();
        long nowNs = T0;
        for (int n = 0; n < 10 * 1024; n++)
        {
            nowNs += 1_000;
            assertEquals(MISS, tracker.lookup(flow(meta, n), nowNs));
            assertNotEquals(MISS, tracker.insert(meta, nowNs, 1), "unanswered flows are always evictable");
            assertTrue(tracker.size() <= 1024);
        }
        final ConntrackCounters c = tracker.counters();
        assertEquals(10 * 1024, c.inserts());
        assertEquals(0, c.insertFailures());
        assertEquals(0, c.expirations());
        assertTrue(c.evictions() >= 9 * 1024, c.toString());
        assertTrue(tracker.size() > 1024 * 3 / 4, "windows fill the table before evicting: " + tracker.size());
        assertPartitions(tracker);
        assertEquals(MISS, tracker.lookup(flow(meta, 0), nowNs), "the oldest flows made room");
        assertNotEquals(MISS, tracker.lookup(flow(meta, 10 * 1024 - 1), nowNs), "the newest is tracked");
    }

    @Test
    void shouldKeepAssuredFlowsWhenFloodedWithNewFlows()
    {
        final ConnectionTracker tracker = new ConnectionTracker(1024, ConntrackTimeouts.DEFAULTS);
        final PacketMeta meta = new PacketMeta();
        long nowNs = T0;
        for (int n = 0; n < 256; n++)
        {
            tracker.insert(flow(meta, n), nowNs, 1);
            tracker.lookup(answer(meta, n), nowNs);
        }
        int refused = 0;
        for (int n = 256; n < 256 + 10 * 1024; n++)
        {
            nowNs += 1_000;
            refused += tracker.insert(flow(meta, n), nowNs, 1) == MISS ? 1 : 0;
        }
        for (int n = 0; n < 256; n++)
        {
            final long handle = tracker.lookup(flow(meta, n), nowNs);
            assertNotEquals(MISS, handle, "assured flow " + n + " survived the flood");
            assertEquals("REPLIED", tracker.describe(handle).state());
        }
        assertEquals(refused, tracker.counters().insertFailures());
        assertEquals(256 + 10 * 1024, tracker.counters().inserts() + refused);
        assertPartitions(tracker);
    }

    @Test
    void shouldRefuseAndCountWhenWindowHoldsOnlyLiveAssuredEntries()
    {
        final ConnectionTracker tracker = new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS);
        final PacketMeta meta = new PacketMeta();
        for (int n = 0; n < 16; n++)
        {
            tracker.insert(Packets.tcp(meta, POD_A, POD_B, 1000 + n, 80, SYN), T0, 1);
            tracker.lookup(Packets.tcp(meta, POD_B, POD_A, 80, 1000 + n, SYN | ACK), T0);
            tracker.lookup(Packets.tcp(meta, POD_A, POD_B, 1000 + n, 80, ACK), T0);
        }
        assertEquals(MISS, tracker.insert(Packets.tcp(meta, POD_A, POD_B, 2000, 80, SYN), T0 + S, 1));
        assertEquals(1, tracker.counters().insertFailures());
        assertEquals(16, tracker.size());
        assertPartitions(tracker);
    }

    @Test
    void shouldTakeExpiredSlotBeforeEvictingWhenWindowIsFull()
    {
        final ConnectionTracker tracker = new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS);
        final PacketMeta meta = new PacketMeta();
        for (int n = 0; n < 16; n++)
        {
            tracker.insert(flow(meta, n), T0 + n * S, 1);
        }
        final long nowNs = T0 + 31 * S;
        assertNotEquals(MISS, tracker.insert(flow(meta, 100), nowNs, 1));
        assertEquals(1, tracker.counters().expirations());
        assertEquals(0, tracker.counters().evictions());
        assertEquals(16, tracker.size());
        assertPartitions(tracker);
    }

    @Test
    void shouldEvictEntryClosestToExpiryWhenNoneHasExpired()
    {
        final ConnectionTracker tracker = new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS);
        final PacketMeta meta = new PacketMeta();
        for (int n = 0; n < 16; n++)
        {
            tracker.insert(flow(meta, (n * 7) % 16), T0 + n * S, 1);
        }
        final long nowNs = T0 + 16 * S;
        tracker.insert(flow(meta, 100), nowNs, 1);
        assertEquals(1, tracker.counters().evictions());
        assertEquals(MISS, tracker.lookup(flow(meta, 0), nowNs), "inserted first, expires first");
        for (int n = 1; n < 16; n++)
        {
            assertNotEquals(MISS, tracker.lookup(flow(meta, (n * 7) % 16), nowNs), "flow " + n);
        }
        assertPartitions(tracker);
    }

    @Test
    void shouldExpireAndEvictByTimeDifferenceWhenClockIsNegativeOrWraps()
    {
        // System.nanoTime may be negative and only differences are meaningful.
        for (final long start : new long[] {-500 * S, Long.MAX_VALUE - 20 * S})
        {
            final ConnectionTracker tracker = new ConnectionTracker(16, ConntrackTimeouts.DEFAULTS);
            final PacketMeta meta = new PacketMeta();
            for (int n = 0; n < 16; n++)
            {
                tracker.insert(flow(meta, n), start + n * S, 1);
            }
            assertNotEquals(MISS, tracker.insert(flow(meta, 100), start + 16 * S, 1));
            assertEquals(1, tracker.counters().evictions(), "start " + start);
            assertEquals(MISS, tracker.lookup(flow(meta, 0), start + 16 * S), "the oldest was evicted");
            assertNotEquals(MISS, tracker.lookup(flow(meta, 1), start + 30 * S), "alive across the wrap");
            assertEquals(MISS, tracker.lookup(flow(meta, 2), start + 32 * S), "expired across the wrap");
            tracker.remove(MISS);
            assertPartitions(tracker);
        }
    }

    @Test
    void shouldFreeExpiredEntriesIncrementallyWhenSwept()
    {
        final ConnectionTracker tracker = new ConnectionTracker(256, ConntrackTimeouts.DEFAULTS);
        final PacketMeta meta = new PacketMeta();
        for (int n = 0; n < 50; n++)
        {
            tracker.insert(flow(meta, n), T0, 1);
            tracker.insert(flow(meta, 1000 + n), T0 + 20 * S, 1);
        }
        final long nowNs = T0 + 31 * S;
        assertEquals(0, tracker.sweep(T0 + 29 * S, 256), "nothing expired yet");
        int freed = 0;
        for (int pass = 0; pass < 4; pass++)
        {
            freed += tracker.sweep(nowNs, 64);
        }
        assertEquals(50, freed);
        assertEquals(50, tracker.size());
        assertEquals(50, tracker.counters().expirations());
        assertPartitions(tracker);

        int oneAtATime = 0;
        for (int slot = 0; slot < 256; slot++)
        {
            oneAtATime += tracker.sweep(T0 + 60 * S, 1);
        }
        assertEquals(50, oneAtATime, "one slot per call covers the table in capacity calls");
        assertEquals(0, tracker.size());
        assertEquals(0, tracker.sweep(T0 + 60 * S, Integer.MAX_VALUE));
        assertPartitions(tracker);
    }

    @Test
    void shouldForgetConnectionWhenRemoved()
    {
        final ConnectionTracker tracker = new ConnectionTracker(64, ConntrackTimeouts.DEFAULTS);
        final long handle = tracker.insert(Packets.tcp(POD_A, POD_B, 1, 80, SYN), T0, 3);
        final long reply = tracker.lookup(Packets.tcp(POD_B, POD_A, 80, 1, SYN | ACK), T0);
        tracker.remove(reply);
        assertEquals(0, tracker.size());
        assertNull(tracker.describe(handle));
        tracker.remove(handle);
        assertEquals(1, tracker.counters().removals(), "a free slot is not removed twice");
        assertEquals(MISS, tracker.lookup(Packets.tcp(POD_A, POD_B, 1, 80, ACK), T0));
        assertPartitions(tracker);
    }

    @Test
    void shouldKeepPolicyGenerationPerEntryWhenUpdated()
    {
        final ConnectionTracker tracker = new ConnectionTracker(64, ConntrackTimeouts.DEFAULTS);
        final long a = tracker.insert(Packets.udp(POD_A, POD_B, 1, 2), T0, 5);
        final long b = tracker.insert(Packets.udp(POD_A, POD_B, 3, 4), T0, 5);
        final long reply = tracker.lookup(Packets.udp(POD_B, POD_A, 2, 1), T0);
        tracker.policyGeneration(reply, 6);
        assertEquals(6, tracker.policyGeneration(a));
        assertEquals(5, tracker.policyGeneration(b));
        assertEquals(index(a), index(reply));
    }

    @Test
    void shouldDescribeEntriesLikeConntrackListWhenAsked()
    {
        final ConnectionTracker tracker = new ConnectionTracker(64, ConntrackTimeouts.DEFAULTS);
        tracker.insert(Packets.tcp(POD_A, POD_B, 40000, 80, SYN), T0, 4);
        tracker.lookup(Packets.tcp(POD_B, POD_A, 80, 40000, SYN | ACK), T0);
        final long handle = tracker.lookup(Packets.tcp(POD_A, POD_B, 40000, 80, ACK), T0);
        tracker.insert(Packets.echo(Packets.ECHO_REQUEST, POD_A, POD_B, 9), T0, 4);

        final ConntrackEntry entry = tracker.describe(handle);
        assertEquals(6, entry.protocol());
        assertEquals(POD_A, entry.source());
        assertEquals(POD_B, entry.destination());
        assertEquals(40000, entry.sourcePort());
        assertEquals(80, entry.destinationPort());
        assertEquals("tcp ESTABLISHED src=10.244.0.2 dst=10.244.1.7 sport=40000 dport=80 [ASSURED] expires_s=431990"
            + " packets=2/1 generation=4", entry.format(T0 + 10 * S));
        final List<ConntrackEntry> all = tracker.snapshot();
        assertEquals(2, all.size());
        assertTrue(all.stream().anyMatch(e -> e.format(T0).equals(
            "icmp UNREPLIED src=10.244.0.2 dst=10.244.1.7 id=9 [UNREPLIED] expires_s=30 packets=1/0 generation=4")),
            all.toString());
    }
}
