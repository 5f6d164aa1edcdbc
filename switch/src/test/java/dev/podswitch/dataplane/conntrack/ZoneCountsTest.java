package dev.podswitch.dataplane.conntrack;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-zone counts against a HashMap on random increments and decrements, and the bound on zones. */
class ZoneCountsTest
{
    @Test
    void shouldAgreeWithAHashMapWhenZonesComeAndGoAtRandom()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final int maxZones = 64;
        final ZoneCounts counts = new ZoneCounts(maxZones);
        final Map<Integer, Integer> expected = new HashMap<>();
        // Few distinct zones, many sharing a home slot's neighbourhood, so deletion must shift runs back.
        final int[] zones = new int[maxZones];
        for (int i = 0; i < zones.length; i++)
        {
            zones[i] = i < 8 ? -1 - i : (10 << 24) + (i << 5);
        }
        int removals = 0;
        for (int step = 0; step < 200_000; step++)
        {
            final int zone = zones[random.nextInt(zones.length)];
            // Present zones go up or down alike (a random walk that keeps returning to zero).
            if (random.nextBoolean() || !expected.containsKey(zone))
            {
                assertTrue(counts.increment(zone), "step " + step);
                expected.merge(zone, 1, Integer::sum);
            }
            else
            {
                counts.decrement(zone);
                if (expected.merge(zone, -1, Integer::sum) == 0)
                {
                    expected.remove(zone);
                    removals++;
                }
            }
            if (step % 1000 == 0)
            {
                for (final int each : zones)
                {
                    assertEquals(expected.getOrDefault(each, 0), counts.count(each), "step " + step + " zone " + each);
                }
            }
            assertEquals(expected.size(), counts.zones(), "step " + step);
        }
        assertTrue(removals > 1_000, "zones left the map often enough to test deletion: " + removals);
    }

    @Test
    void shouldRefuseANewZoneWhenMaxZonesHoldEntries()
    {
        final ZoneCounts counts = new ZoneCounts(3);
        assertTrue(counts.increment(1));
        assertTrue(counts.increment(2));
        assertTrue(counts.increment(3));
        assertFalse(counts.increment(4), "a fourth zone");
        assertTrue(counts.increment(3), "an existing zone counts on");
        counts.decrement(1);
        assertTrue(counts.increment(4), "room again once a zone is gone");
        assertEquals(0, counts.count(1));
        assertEquals(2, counts.count(3));
    }
}
