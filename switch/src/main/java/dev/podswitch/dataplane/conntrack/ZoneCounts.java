package dev.podswitch.dataplane.conntrack;

/**
 * How many tracked connections each zone holds: an open-addressing map from a zone (a non-zero
 * {@code int}, the local endpoint's address) to its count, with linear probing and backward-shift
 * deletion, so a zone whose count drops to zero leaves no tombstone and the probe sequences stay
 * short however often pods come and go. A zone holds at least one entry while it is in the map, so
 * the map never needs more keys than the table has entries; it is sized for {@code maxZones}.
 *
 * <p>One per {@link ConntrackTable}, on its pipeline thread; no locks. All memory is allocated by
 * the constructor and never grows.
 * <pre>
 *  zoneBySlot:  int[slots]   0 = free, else the zone
 *  countBySlot: int[slots]   entries of that zone (at least 1)
 * </pre>
 */
final class ZoneCounts
{
    private final int[] zoneBySlot;
    private final int[] countBySlot;
    private final int mask;
    private final int maxZones;
    private int zones;

    /** @param maxZones the most zones that may hold entries at once; the map gets twice as many slots. */
    ZoneCounts(final int maxZones)
    {
        final int slots = Integer.highestOneBit(Math.max(2, maxZones) * 2 - 1) << 1;
        this.zoneBySlot = new int[slots];
        this.countBySlot = new int[slots];
        this.mask = slots - 1;
        this.maxZones = maxZones;
    }

    /** The entries {@code zone} holds (0 when none). */
    int count(final int zone)
    {
        final int slot = find(zone);
        return slot < 0 ? 0 : countBySlot[slot];
    }

    /** Counts one more entry for {@code zone}; false when it is new and {@code maxZones} already hold entries. */
    boolean increment(final int zone)
    {
        int slot = home(zone);
        while (zoneBySlot[slot] != 0)
        {
            if (zoneBySlot[slot] == zone)
            {
                countBySlot[slot]++;
                return true;
            }
            slot = (slot + 1) & mask;
        }
        if (zones == maxZones)
        {
            return false;
        }
        zoneBySlot[slot] = zone;
        countBySlot[slot] = 1;
        zones++;
        return true;
    }

    /** Counts one entry fewer for {@code zone}, forgetting the zone at zero. */
    void decrement(final int zone)
    {
        final int slot = find(zone);
        if (slot < 0)
        {
            return;
        }
        if (--countBySlot[slot] == 0)
        {
            delete(slot);
        }
    }

    /** Zones holding entries now. */
    int zones()
    {
        return zones;
    }

    private int find(final int zone)
    {
        int slot = home(zone);
        while (zoneBySlot[slot] != 0)
        {
            if (zoneBySlot[slot] == zone)
            {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /** Knuth's algorithm R: moves later members of the probe run back into the hole so lookups still find them. */
    private void delete(final int removed)
    {
        int hole = removed;
        int slot = (removed + 1) & mask;
        while (zoneBySlot[slot] != 0)
        {
            final int home = home(zoneBySlot[slot]);
            // Move it when its home is not in the cyclic range (hole, slot].
            if (((slot - home) & mask) >= ((slot - hole) & mask))
            {
                zoneBySlot[hole] = zoneBySlot[slot];
                countBySlot[hole] = countBySlot[slot];
                hole = slot;
            }
            slot = (slot + 1) & mask;
        }
        zoneBySlot[hole] = 0;
        countBySlot[hole] = 0;
        zones--;
    }

    private int home(final int zone)
    {
        final int h = zone * 0x9E37_79B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
