package dev.podswitch.dataplane.conntrack;

import org.junit.jupiter.api.Test;

import static dev.podswitch.dataplane.conntrack.Packets.POD_A;
import static dev.podswitch.dataplane.conntrack.Packets.POD_B;
import static dev.podswitch.dataplane.conntrack.Packets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-flow fast path: a forwarding decision cached per direction, valid for one table generation. */
class ConnectionTrackerForwardCacheTest
{
    private final ConnectionTracker tracker = new ConnectionTracker(64, ConntrackTimeouts.DEFAULTS);

    @Test
    void shouldReturnTheCachedActionOnlyForTheGenerationItWasMadeUnder()
    {
        final long handle = tracker.insert(udp(POD_A, POD_B, 40000, 53), 0, 1);
        assertEquals(-1, tracker.cachedForward(handle, 7), "nothing cached for a new connection");
        tracker.cacheForward(handle, 7, 42);
        assertEquals(42, tracker.cachedForward(tracker.lookup(udp(POD_A, POD_B, 40000, 53), 1), 7));
        assertEquals(-1, tracker.cachedForward(handle, 8), "a newer forwarding table invalidates it");
    }

    @Test
    void shouldKeepEachDirectionsDecisionApart()
    {
        final long original = tracker.insert(udp(POD_A, POD_B, 40000, 53), 0, 1);
        tracker.cacheForward(original, 3, 11);
        final long reply = tracker.lookup(udp(POD_B, POD_A, 53, 40000), 1);
        assertTrue(ConnectionTracker.isReply(reply));
        assertEquals(-1, tracker.cachedForward(reply, 3), "the reply goes elsewhere: not cached yet");
        tracker.cacheForward(reply, 3, 22);
        assertEquals(22, tracker.cachedForward(reply, 3));
        assertEquals(11, tracker.cachedForward(original, 3));
    }

    @Test
    void shouldForgetTheDecisionWhenTheSlotIsReusedByAnotherConnection()
    {
        final long first = tracker.insert(udp(POD_A, POD_B, 40000, 53), 0, 1);
        tracker.cacheForward(first, 3, 11);
        tracker.remove(first);
        final long second = tracker.insert(udp(POD_A, POD_B, 40000, 53), 0, 1);
        assertEquals(-1, tracker.cachedForward(second, 3));
    }
}
