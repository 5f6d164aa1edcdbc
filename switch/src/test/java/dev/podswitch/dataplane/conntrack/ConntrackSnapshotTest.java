package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.PacketMeta;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.podswitch.dataplane.conntrack.Packets.POD_A;
import static dev.podswitch.dataplane.conntrack.Packets.POD_B;
import static dev.podswitch.dataplane.conntrack.Packets.POD_C;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded copy of the table {@code get connections} shows: live entries only, at most the limit, ages from the copy. */
class ConntrackSnapshotTest
{
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_000 * S;

    private final ConnectionTracker tracker = new ConnectionTracker(64, ConntrackTimeouts.DEFAULTS);
    private final PacketMeta meta = new PacketMeta();

    @Test
    void shouldCopyLiveEntriesWithAgesAndTimeLeftFromTheCopyAndLeaveExpiredOnesOut()
    {
        tracker.insert(Packets.udp(meta, POD_A, POD_B, 40_000, 53), T0, 3, POD_A);
        tracker.insert(Packets.udp(meta, POD_A, POD_C, 40_001, 53), T0, 3, POD_A);
        tracker.insert(Packets.udp(meta, POD_C, POD_B, 40_002, 53), T0, 4, POD_C);
        // The answer to the third moves it to REPLIED (120 s); the first two stay UNREPLIED (30 s).
        tracker.lookup(Packets.udp(meta, POD_B, POD_C, 53, 40_002), T0 + 10 * S);

        final ConntrackSnapshot copy = tracker.snapshot(100, T0 + 40 * S);
        assertEquals(3, copy.held(), "the expired two are still held, not yet freed");
        assertEquals(1, copy.entries().size(), "but not copied: " + copy.entries());
        assertFalse(copy.truncated());
        final ConntrackEntry entry = copy.entries().getFirst();
        assertEquals(POD_C, entry.source());
        assertEquals(POD_B, entry.destination());
        assertEquals(40_002, entry.sourcePort());
        assertEquals(53, entry.destinationPort());
        assertEquals("REPLIED", entry.state());
        assertEquals(POD_C, entry.zone());
        assertEquals(4, entry.policyGeneration());
        assertEquals(40, copy.ageSeconds(entry), "since its first packet");
        assertEquals(90, copy.expiresInSeconds(entry), "replied at +10 s with 120 s to live");
        assertEquals(64, copy.capacity());
        assertEquals(T0 + 40 * S, copy.takenNs());
        assertEquals(3, tracker.size(), "copying frees nothing");
    }

    @Test
    void shouldStopAtTheLimitAndSaySo()
    {
        for (int i = 0; i < 5; i++)
        {
            tracker.insert(Packets.udp(meta, POD_A, POD_B, 40_000 + i, 53), T0, 1, POD_A);
        }
        final ConntrackSnapshot two = tracker.snapshot(2, T0);
        assertEquals(2, two.entries().size());
        assertTrue(two.truncated());
        assertEquals(5, two.held());
        final ConntrackSnapshot all = tracker.snapshot(5, T0);
        assertEquals(5, all.entries().size());
        assertFalse(all.truncated(), "exactly the limit is not truncated");
        assertTrue(tracker.snapshot(0, T0).truncated());
        assertThrows(IllegalArgumentException.class, () -> tracker.snapshot(-1, T0));
        assertThrows(UnsupportedOperationException.class, () -> all.entries().add(all.entries().getFirst()));
        assertEquals(List.of(), new ConnectionTracker(8, ConntrackTimeouts.DEFAULTS).snapshot(10, T0).entries());
    }
}
