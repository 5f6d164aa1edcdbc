package dev.podswitch.dataplane.conntrack;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The memory of a {@link ConnectionTracker}: where each connection's entry lives, how it is found,
 * and how it leaves. It knows tuples, state words and timeouts, not packets or protocols — what a
 * packet does to its connection is the tracker's job (after OVS, whose {@code conntrack.c} keeps
 * the table apart from {@code conntrack-tcp.c} and its siblings).
 *
 * <p><b>Ownership.</b> One per tracker, on the tracker's pipeline thread; no locks. <b>Lifecycle.</b>
 * All memory is allocated by the constructor and never grows; entries leave by expiry (found
 * expired by a lookup, insert or {@link #sweep}), eviction, reopening, or {@link #remove}. Time is
 * the caller's {@code nowNs} (one clock read per batch), so tests drive expiry without sleeping.
 *
 * <p><b>Table.</b> Open addressing over {@code capacity} (a power of two) slots. A connection's key
 * is its tuple in the original direction; it lives within {@link #PROBE_WINDOW} slots of its hash
 * home, and a lookup scans that whole window (entries never move, so a handle stays put and
 * removal needs no tombstones). The scan reads only {@code hashBySlot}, 16 ints in one or two
 * cache lines, and compares the key of a slot whose hash matches. A packet probes with its tuple
 * (original direction) and then the reversed tuple (reply direction).
 * <pre>
 *  hashBySlot: int[capacity]    0 = free, else the key's hash (forced odd)
 *  entries:    long[capacity × 8], one 64-byte record per slot:
 *  0            8               16          24           32            40          48           56
 * +------------+---------------+-----------+------------+-------------+-----------+------------+------------+
 * | src | dst  | proto|sp|dp   | expiry ns | zone|state | policy gen  | created ns| packets orig| packets rep|
 * +------------+---------------+-----------+------------+-------------+-----------+------------+------------+
 * </pre>
 *
 * <p><b>Zones.</b> Each entry is charged to a zone (the local endpoint it belongs to, or
 * {@link #NO_ZONE}: nobody's), kept in the high half of its state word and counted per zone in
 * {@link ZoneCounts}, as Linux's and OVS's per-zone conntrack limits count. A zone holds at most
 * {@code zoneLimit} entries: {@link #hasRoomIn} says whether it may open one more, and the tracker
 * refuses the new connection when it may not — a pod that floods the table only fills its own
 * share. Expired entries count until freed (by a lookup, an insert that needs their slot, or the
 * sweep), as they do in the table's size.
 *
 * <p><b>Eviction.</b> When a new connection finds its window full, it takes an expired entry's
 * slot, else evicts an unassured entry (an unanswered or closing connection, never one that has
 * proved itself — see {@link ConntrackState#isAssured}), else is refused and counted. Of the
 * unassured entries it may take the one of the zone holding most entries (its own first on a tie),
 * and of those the one closest to expiry; an entry of a zone holding fewer entries than the
 * inserting zone is never taken. So a flood of new flows neither grows memory nor breaks
 * established connections, and a pod's flood evicts its own unanswered entries, never a smaller
 * pod's handshake or DNS query.
 *
 * <p><b>Handles.</b> The slot index in the low 32 bits and {@link #REPLY_FLAG}, {@link #RELATED_FLAG},
 * {@link #INVALID_FLAG} above, or {@link #MISS}. A handle is valid until the next call that can free
 * an entry (find, add, sweep, remove).
 *
 * <p>Why this file is over 400 lines: the table's layout (the slot array, the 64-byte records, the
 * zone counts) is private to it, and every operation that reads or writes a record — lookup,
 * insert with its eviction choice, expiry, sweep, removal, snapshot — must agree on that layout;
 * kept in one file so the layout is stated once and read next to every use.
 */
final class ConntrackTable
{
    static final long MISS = -1;
    /** The zone of entries charged to nobody: not limited, and evictable by any zone. */
    static final int NO_ZONE = 0;
    /** The most zones that may hold entries at once (a node's local endpoints: a /24 pod CIDR has 254). */
    static final int MAX_ZONES = 4096;
    /** Slots a key may occupy from its home: the cost of a lookup, and the eviction neighbourhood. */
    static final int PROBE_WINDOW = 16;
    static final int MAX_CAPACITY = 1 << 26;

    static final long REPLY_FLAG = 1L << 32;
    static final long RELATED_FLAG = 1L << 33;
    static final long INVALID_FLAG = 1L << 34;
    /** Directions {@link #find} probes: the tuple as given, reversed, or both. */
    static final int ORIGINAL = 1;
    static final int REPLY = 2;
    static final int BOTH = ORIGINAL | REPLY;

    private static final int ADDRESSES_OFFSET = 0;
    private static final int PROTOCOL_PORTS_OFFSET = 1;
    private static final int EXPIRY_NS_OFFSET = 2;
    private static final int STATE_OFFSET = 3;
    private static final int POLICY_GENERATION_OFFSET = 4;
    private static final int CREATED_NS_OFFSET = 5;
    private static final int PACKETS_ORIGINAL_OFFSET = 6;
    private static final int PACKETS_REPLY_OFFSET = 7;
    private static final int SLOT_SHIFT = 3;

    private final int mask;
    private final int window;
    private final int[] hashBySlot;
    private final long[] entries;
    private final long[] timeoutNsByState;
    /** Per-instance hash basis, so that nobody can precompute tuples that collide (OVS hash_basis). */
    private final long hashBasis;
    private final ConntrackCounters counters;
    private final ZoneCounts zoneCounts;
    private final int zoneLimit;
    private int size;
    private int sweepCursor;

    ConntrackTable(final int capacity, final ConntrackTimeouts timeouts, final ConntrackCounters counters,
        final int zoneLimit)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("conntrack capacity=" + capacity + " must be a power of two in [1, "
                + MAX_CAPACITY + "]");
        }
        if (zoneLimit < 1 || zoneLimit > capacity)
        {
            throw new IllegalArgumentException("conntrack zoneLimit=" + zoneLimit + " must lie in [1, capacity="
                + capacity + "]; set " + ConnectionTracker.ZONE_LIMIT_PERCENT_PROP_NAME
                + " (percent of the capacity) or pass the limit to ConnectionTracker");
        }
        this.zoneLimit = zoneLimit;
        this.zoneCounts = new ZoneCounts(Math.min(capacity, MAX_ZONES));
        this.mask = capacity - 1;
        this.window = Math.min(PROBE_WINDOW, capacity);
        this.hashBySlot = new int[capacity];
        this.entries = new long[capacity << SLOT_SHIFT];
        this.timeoutNsByState = timeouts.timeoutNsByState();
        this.hashBasis = ThreadLocalRandom.current().nextLong();
        this.counters = counters;
    }

    static int index(final long handle)
    {
        return (int)handle;
    }

    static boolean isReply(final long handle)
    {
        return (handle & REPLY_FLAG) != 0;
    }

    /**
     * The handle of the live entry for this tuple in the given directions ({@link #REPLY_FLAG} set
     * when it matched reversed), freeing an expired one; {@link #MISS} when there is none. At most
     * one entry exists per connection, so the reversed tuple is only probed on a miss.
     */
    long find(final int source, final int destination, final int protocol, final int sourcePort,
        final int destinationPort, final int directions, final long nowNs)
    {
        int slot = -1;
        long replyFlag = 0;
        if ((directions & ORIGINAL) != 0)
        {
            slot = findSlot(addresses(source, destination), protocolPorts(protocol, sourcePort, destinationPort));
        }
        if (slot < 0 && (directions & REPLY) != 0)
        {
            slot = findSlot(addresses(destination, source), protocolPorts(protocol, destinationPort, sourcePort));
            replyFlag = REPLY_FLAG;
        }
        if (slot < 0)
        {
            return MISS;
        }
        if (nowNs - entries[(slot << SLOT_SHIFT) + EXPIRY_NS_OFFSET] >= 0)
        {
            free(slot);
            counters.countExpiration();
            return MISS;
        }
        return slot | replyFlag;
    }

    private int findSlot(final long addresses, final long protocolPorts)
    {
        final long hash = hash(addresses, protocolPorts);
        final int tag = tag(hash);
        final int home = (int)hash & mask;
        for (int i = 0; i < window; i++)
        {
            final int slot = (home + i) & mask;
            if (hashBySlot[slot] == tag)
            {
                final int base = slot << SLOT_SHIFT;
                if (entries[base + ADDRESSES_OFFSET] == addresses
                    && entries[base + PROTOCOL_PORTS_OFFSET] == protocolPorts)
                {
                    return slot;
                }
            }
        }
        return -1;
    }

    /**
     * Whether {@code zone} may hold one more entry: {@link #NO_ZONE} always; another while it holds
     * fewer than the zone limit (and, for a zone holding none, while fewer than {@link #MAX_ZONES}
     * zones hold any).
     */
    boolean hasRoomIn(final int zone)
    {
        if (zone == NO_ZONE)
        {
            return true;
        }
        final int held = zoneCounts.count(zone);
        return held > 0 ? held < zoneLimit : zoneCounts.zones() < MAX_ZONES;
    }

    /** The entries {@code zone} holds, expired ones not yet freed included. */
    int zoneSize(final int zone)
    {
        return zone == NO_ZONE ? 0 : zoneCounts.count(zone);
    }

    int zoneLimit()
    {
        return zoneLimit;
    }

    /**
     * Adds the entry of a new connection whose tuple (original direction) is not in the table, in
     * state {@code word}, with its first packet counted, charged to {@code zone} (which must have
     * room: {@link #hasRoomIn}).
     *
     * @return its handle, or {@link #MISS} when its window holds only live entries it may not take.
     */
    long add(final int source, final int destination, final int protocol, final int sourcePort,
        final int destinationPort, final int word, final long policyGeneration, final long nowNs, final int zone)
    {
        final long addresses = addresses(source, destination);
        final long protocolPorts = protocolPorts(protocol, sourcePort, destinationPort);
        final long hash = hash(addresses, protocolPorts);
        final int slot = claimSlot((int)hash & mask, nowNs, zone);
        if (slot < 0)
        {
            return MISS;
        }
        if (zone != NO_ZONE && !zoneCounts.increment(zone))
        {
            // Not after hasRoomIn (a claim only ever frees); a caller that skipped it is refused, not miscounted.
            return MISS;
        }
        hashBySlot[slot] = tag(hash);
        size++;
        final int base = slot << SLOT_SHIFT;
        entries[base + ADDRESSES_OFFSET] = addresses;
        entries[base + PROTOCOL_PORTS_OFFSET] = protocolPorts;
        entries[base + EXPIRY_NS_OFFSET] = nowNs + timeoutNsByState[word & ConntrackState.STATE_MASK];
        entries[base + STATE_OFFSET] = stateWord(zone, word);
        entries[base + POLICY_GENERATION_OFFSET] = policyGeneration;
        entries[base + CREATED_NS_OFFSET] = nowNs;
        entries[base + PACKETS_ORIGINAL_OFFSET] = 1;
        entries[base + PACKETS_REPLY_OFFSET] = 0;
        return slot;
    }

    /**
     * A free slot in the window from {@code home}, else an expired one, else one {@code zone} may
     * evict (see the class comment), else -1.
     */
    private int claimSlot(final int home, final long nowNs, final int zone)
    {
        for (int i = 0; i < window; i++)
        {
            final int slot = (home + i) & mask;
            if (hashBySlot[slot] == 0)
            {
                return slot;
            }
        }
        final int inserterHeld = zoneSize(zone);
        int victim = -1;
        long victimWeight = -1;
        long victimExpiryNs = 0;
        for (int i = 0; i < window; i++)
        {
            final int slot = (home + i) & mask;
            final int base = slot << SLOT_SHIFT;
            final long expiryNs = entries[base + EXPIRY_NS_OFFSET];
            if (nowNs - expiryNs >= 0)
            {
                free(slot);
                counters.countExpiration();
                return slot;
            }
            final long stateWord = entries[base + STATE_OFFSET];
            if (ConntrackState.isAssured((int)stateWord))
            {
                continue;
            }
            final int victimZone = (int)(stateWord >>> 32);
            final int held = zoneSize(victimZone);
            if (zone != NO_ZONE && victimZone != zone && victimZone != NO_ZONE && held < inserterHeld)
            {
                // A zone holding fewer entries than the inserter's keeps them: a flood pays for itself.
                continue;
            }
            // The largest zone first, the inserter's own on a tie, then the one closest to expiry
            // (compared by difference, as nanoTime values may be negative or wrap).
            final long weight = 2L * held + (victimZone == zone ? 1 : 0);
            if (weight > victimWeight || weight == victimWeight && expiryNs - victimExpiryNs < 0)
            {
                victim = slot;
                victimWeight = weight;
                victimExpiryNs = expiryNs;
            }
        }
        if (victim >= 0)
        {
            free(victim);
            counters.countEviction();
        }
        return victim;
    }

    /**
     * Moves the entry to state {@code word} (as its protocol says), restarts its timer for that
     * state and counts the packet in the direction {@code handle} names.
     */
    void advance(final long handle, final int word, final long nowNs)
    {
        final int base = index(handle) << SLOT_SHIFT;
        entries[base + STATE_OFFSET] = stateWord((int)(entries[base + STATE_OFFSET] >>> 32), word);
        entries[base + EXPIRY_NS_OFFSET] = nowNs + timeoutNsByState[word & ConntrackState.STATE_MASK];
        entries[base + (isReply(handle) ? PACKETS_REPLY_OFFSET : PACKETS_ORIGINAL_OFFSET)]++;
    }

    /** Frees expired entries among at most {@code maxSlots} slots, from where the previous call stopped. */
    int sweep(final long nowNs, final int maxSlots)
    {
        final int slots = Math.min(maxSlots, mask + 1);
        int freed = 0;
        int slot = sweepCursor;
        for (int i = 0; i < slots; i++)
        {
            if (hashBySlot[slot] != 0 && nowNs - entries[(slot << SLOT_SHIFT) + EXPIRY_NS_OFFSET] >= 0)
            {
                free(slot);
                counters.countExpiration();
                freed++;
            }
            slot = (slot + 1) & mask;
        }
        sweepCursor = slot;
        return freed;
    }

    /** Frees the entry of {@code handle} if it is in use (counted as a removal). */
    void remove(final long handle)
    {
        final int slot = index(handle);
        if (slot >= 0 && slot <= mask && hashBySlot[slot] != 0)
        {
            free(slot);
            counters.countRemoval();
        }
    }

    /** Frees every entry to or from {@code ip} (a whole-table scan, each counted as a removal); returns how many. */
    int removeAllOf(final int ip)
    {
        int removed = 0;
        for (int slot = 0; slot < hashBySlot.length; slot++)
        {
            if (hashBySlot[slot] == 0)
            {
                continue;
            }
            final long addresses = entries[(slot << SLOT_SHIFT) + ADDRESSES_OFFSET];
            if ((int)(addresses >>> 32) == ip || (int)addresses == ip)
            {
                free(slot);
                counters.countRemoval();
                removed++;
            }
        }
        return removed;
    }

    long policyGeneration(final long handle)
    {
        return entries[(index(handle) << SLOT_SHIFT) + POLICY_GENERATION_OFFSET];
    }

    void policyGeneration(final long handle, final long policyGeneration)
    {
        entries[(index(handle) << SLOT_SHIFT) + POLICY_GENERATION_OFFSET] = policyGeneration;
    }

    int state(final long handle)
    {
        return (int)entries[(index(handle) << SLOT_SHIFT) + STATE_OFFSET];
    }

    long expiryNs(final long handle)
    {
        return entries[(index(handle) << SLOT_SHIFT) + EXPIRY_NS_OFFSET];
    }

    int size()
    {
        return size;
    }

    int capacity()
    {
        return mask + 1;
    }

    /** A copy of the entry, or {@code null} when its slot is free. Allocates; not for the packet path. */
    ConntrackEntry describe(final long handle)
    {
        final int slot = index(handle);
        if (slot < 0 || slot > mask || hashBySlot[slot] == 0)
        {
            return null;
        }
        final int base = slot << SLOT_SHIFT;
        final long addresses = entries[base + ADDRESSES_OFFSET];
        final long protocolPorts = entries[base + PROTOCOL_PORTS_OFFSET];
        final int word = (int)entries[base + STATE_OFFSET];
        final int zone = (int)(entries[base + STATE_OFFSET] >>> 32);
        return new ConntrackEntry(slot, zone, (int)(protocolPorts >>> 32), (int)(addresses >>> 32), (int)addresses,
            (int)(protocolPorts >>> 16) & 0xFFFF, (int)protocolPorts & 0xFFFF, ConntrackState.name(word),
            (word & ConntrackState.SEEN_REPLY) != 0, ConntrackState.isAssured(word), entries[base + CREATED_NS_OFFSET],
            entries[base + EXPIRY_NS_OFFSET], entries[base + POLICY_GENERATION_OFFSET],
            entries[base + PACKETS_ORIGINAL_OFFSET], entries[base + PACKETS_REPLY_OFFSET]);
    }

    /** Every entry in use, in slot order. Allocates; for the CLI and tests. */
    List<ConntrackEntry> snapshot()
    {
        final List<ConntrackEntry> all = new ArrayList<>(size);
        for (int slot = 0; slot <= mask; slot++)
        {
            if (hashBySlot[slot] != 0)
            {
                all.add(describe(slot));
            }
        }
        return all;
    }

    /**
     * At most {@code limit} live entries (unexpired at {@code nowNs}), in slot order, and whether
     * more were left out. One pass over the slots, stopping at the first live entry past the limit.
     * Allocates; a control command, not for the packet path.
     */
    ConntrackSnapshot snapshot(final int limit, final long nowNs)
    {
        if (limit < 0)
        {
            throw new IllegalArgumentException("limit=" + limit + " < 0");
        }
        final List<ConntrackEntry> copied = new ArrayList<>(Math.min(limit, size));
        boolean truncated = false;
        for (int slot = 0; slot <= mask; slot++)
        {
            if (hashBySlot[slot] == 0 || nowNs - entries[(slot << SLOT_SHIFT) + EXPIRY_NS_OFFSET] >= 0)
            {
                continue;
            }
            if (copied.size() == limit)
            {
                truncated = true;
                break;
            }
            copied.add(describe(slot));
        }
        return new ConntrackSnapshot(copied, truncated, size, capacity(), zoneLimit, nowNs);
    }

    private void free(final int slot)
    {
        final int zone = (int)(entries[(slot << SLOT_SHIFT) + STATE_OFFSET] >>> 32);
        if (zone != NO_ZONE)
        {
            zoneCounts.decrement(zone);
        }
        hashBySlot[slot] = 0;
        size--;
    }

    /** The state word with the entry's zone in its high half (the state machines see only the low half). */
    private static long stateWord(final int zone, final int word)
    {
        return ((long)zone << 32) | (word & 0xFFFF_FFFFL);
    }

    private static long addresses(final int source, final int destination)
    {
        return ((long)source << 32) | (destination & 0xFFFF_FFFFL);
    }

    private static long protocolPorts(final int protocol, final int sourcePort, final int destinationPort)
    {
        return ((long)protocol << 32) | ((long)sourcePort << 16) | destinationPort;
    }

    /** Both key words mixed through the SplitMix64 finaliser; the low bits pick the home slot. */
    private long hash(final long addresses, final long protocolPorts)
    {
        long h = addresses ^ Long.rotateLeft(protocolPorts * 0x9E37_79B9_7F4A_7C15L, 29) ^ hashBasis;
        h = (h ^ (h >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return h ^ (h >>> 31);
    }

    /** The high half of the hash, odd so that it is never the free marker 0. */
    private static int tag(final long hash)
    {
        return (int)(hash >>> 32) | 1;
    }
}
