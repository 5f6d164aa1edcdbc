package dev.podswitch.dataplane.conntrack;

import java.util.List;

/**
 * A bounded copy of a tracker's live connections, made by its pipeline thread (or while that thread
 * is stopped) and read by anyone after: what {@code podswitch get connections} shows. Never made on
 * the packet path.
 *
 * @param entries   the live entries copied, at most the limit asked for, in slot order — an arbitrary
 *                  order, so a truncated copy holds an arbitrary subset, not the oldest; expired
 *                  entries not yet freed are left out (a lookup would not find them).
 * @param truncated the table held more live entries than the limit.
 * @param held      entries in use when copied, expired ones not yet freed included.
 * @param capacity  the table's capacity.
 * @param zoneLimit the most entries one zone may hold.
 * @param takenNs   the {@link System#nanoTime()} the copy was made at: entries' ages and time left
 *                  are measured from it ({@link ConntrackEntry#createdNs()}, {@link ConntrackEntry#expiryNs()}).
 */
public record ConntrackSnapshot(List<ConntrackEntry> entries, boolean truncated, int held, int capacity, int zoneLimit,
    long takenNs)
{
    public ConntrackSnapshot
    {
        entries = List.copyOf(entries);
    }

    /** Whole seconds since the entry was created (its first packet), at the time of the copy; never negative. */
    public long ageSeconds(final ConntrackEntry entry)
    {
        return Math.max(0, takenNs - entry.createdNs()) / 1_000_000_000L;
    }

    /** Whole seconds the entry had left before it expires unless a packet refreshes it; never negative. */
    public long expiresInSeconds(final ConntrackEntry entry)
    {
        return Math.max(0, entry.expiryNs() - takenNs) / 1_000_000_000L;
    }
}
