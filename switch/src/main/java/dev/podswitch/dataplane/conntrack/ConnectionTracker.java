package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Stateful connection tracking for one node pipeline: which connections policy has allowed, in
 * which direction each was opened, and how far its protocol has got, so that replies and ICMP
 * errors about allowed connections pass without a policy decision (after OVS
 * {@code lib/conntrack.c} and Linux nf_conntrack).
 *
 * <p><b>Ownership.</b> One instance per pipeline thread, which alone calls every method except
 * {@link #counters()} (readable from any thread); no locks. Other threads (CLI, control) reach it
 * through the pipeline's command queue. <b>Lifecycle.</b> All memory is allocated by the
 * constructor and never grows; entries leave by expiry (found expired by a lookup, insert or
 * {@link #sweep}), eviction, reopening, or {@link #remove}. Time is the caller's {@code nowNs}
 * (one clock read per batch), so tests drive expiry without sleeping.
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
 *  0            8               16          24          32            40          48           56
 * +------------+---------------+-----------+-----------+-------------+-----------+------------+------------+
 * | src | dst  | proto|sp|dp   | expiry ns | state word| policy gen  | created ns| packets orig| packets rep|
 * +------------+---------------+-----------+-----------+-------------+-----------+------------+------------+
 * </pre>
 * When a new connection finds its window full, it takes an expired entry's slot, else evicts the
 * unassured entry closest to expiry (an unanswered or closing connection, never one that has
 * proved itself — see {@link ConntrackState#isAssured}), else is refused and counted. A flood of
 * new flows therefore neither grows memory nor breaks established connections.
 *
 * <p><b>Handles.</b> {@link #lookup} and {@link #insert} return a handle: the slot index in the low
 * 32 bits and {@link #isReply}, {@link #isRelated}, {@link #isInvalid} flags above, or {@link #MISS}.
 * A handle is valid until the next call that can free an entry (lookup, insert, sweep, remove).
 */
public final class ConnectionTracker
{
    public static final long MISS = -1;
    /** Slots a key may occupy from its home: the cost of a lookup, and the eviction neighbourhood. */
    public static final int PROBE_WINDOW = 16;
    public static final int MAX_CAPACITY = 1 << 26;

    private static final long REPLY_FLAG = 1L << 32;
    private static final long RELATED_FLAG = 1L << 33;
    private static final long INVALID_FLAG = 1L << 34;
    private static final int ORIGINAL = 1;
    private static final int REPLY = 2;
    private static final int BOTH = ORIGINAL | REPLY;

    private static final int ADDRESSES_OFFSET = 0;
    private static final int PROTOCOL_PORTS_OFFSET = 1;
    private static final int EXPIRY_NS_OFFSET = 2;
    private static final int STATE_OFFSET = 3;
    private static final int POLICY_GENERATION_OFFSET = 4;
    private static final int CREATED_NS_OFFSET = 5;
    private static final int PACKETS_ORIGINAL_OFFSET = 6;
    private static final int PACKETS_REPLY_OFFSET = 7;
    private static final int SLOT_LONGS = 8;
    private static final int SLOT_SHIFT = 3;
    /** Per slot: generation and action for the original direction, then for the reply direction. */
    private static final int FORWARD_SHIFT = 2;
    private static final long NO_FORWARD_GENERATION = Long.MIN_VALUE;

    private static final int ICMP = 1;
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SCTP = 132;
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;

    private final int mask;
    private final int window;
    private final int[] hashBySlot;
    private final long[] entries;
    /**
     * The per-flow fast path (an exact-match cache, as OVS keeps one): per slot and direction, the
     * forwarding action the pipeline last took and the forwarding-table generation it was valid for.
     * Kept beside the entries so the 64-byte record stays one cache line.
     */
    private final long[] forwardBySlot;
    private final long[] timeoutNsByState;
    /** Per-instance hash basis, so that nobody can precompute tuples that collide (OVS hash_basis). */
    private final long hashBasis;
    private final ConntrackCounters counters = new ConntrackCounters();
    private int size;
    private int sweepCursor;

    public ConnectionTracker(final int capacity, final ConntrackTimeouts timeouts)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("conntrack capacity=" + capacity + " must be a power of two in [1, "
                + MAX_CAPACITY + "]");
        }
        this.mask = capacity - 1;
        this.window = Math.min(PROBE_WINDOW, capacity);
        this.hashBySlot = new int[capacity];
        this.entries = new long[capacity << SLOT_SHIFT];
        this.forwardBySlot = new long[capacity << FORWARD_SHIFT];
        this.timeoutNsByState = timeouts.timeoutNsByState();
        this.hashBasis = ThreadLocalRandom.current().nextLong();
    }

    public static boolean isReply(final long handle)
    {
        return (handle & REPLY_FLAG) != 0;
    }

    /** An ICMP error about a tracked connection; {@link #isReply} then says which way it travels. */
    public static boolean isRelated(final long handle)
    {
        return (handle & RELATED_FLAG) != 0;
    }

    /** The packet matched an entry but not its protocol state, which it did not advance. */
    public static boolean isInvalid(final long handle)
    {
        return (handle & INVALID_FLAG) != 0;
    }

    public static int index(final long handle)
    {
        return (int)handle;
    }

    /**
     * Finds the connection {@code meta} belongs to. A hit advances its protocol state and restarts
     * its timer (a related ICMP error does neither; an invalid packet does neither and sets
     * {@link #isInvalid}). An expired entry is freed and is a miss, as is a new connection on a
     * closed one's tuple (TCP SYN after TIME_WAIT or CLOSE, SCTP INIT after SHUTDOWN or CLOSED),
     * which frees the old entry so that policy judges the new connection.
     */
    public long lookup(final PacketMeta meta, final long nowNs)
    {
        counters.countLookup();
        final int protocol = meta.ipProtocol;
        final long found;
        if (protocol == ICMP)
        {
            final int type = meta.icmpType;
            if (type == ICMP_ECHO_REQUEST || type == ICMP_ECHO_REPLY)
            {
                // The reply's tuple is the request's reversed, so a request matches only as original.
                final int directions = type == ICMP_ECHO_REQUEST ? ORIGINAL : REPLY;
                found = find(meta.ipSource, meta.ipDestination, ICMP, meta.icmpIdentifier, meta.icmpIdentifier,
                    directions, nowNs);
            }
            else if (meta.icmpErrorHasQuote)
            {
                return lookupRelated(meta, nowNs);
            }
            else
            {
                found = MISS;
            }
        }
        else
        {
            final boolean hasPorts = IpProtocol.hasPorts(protocol);
            found = find(meta.ipSource, meta.ipDestination, protocol, hasPorts ? meta.sourcePort : 0,
                hasPorts ? meta.destinationPort : 0, BOTH, nowNs);
        }
        if (found == MISS)
        {
            counters.countMiss();
            return MISS;
        }
        return advance(found, meta, nowNs);
    }

    private long advance(final long handle, final PacketMeta meta, final long nowNs)
    {
        final int base = index(handle) << SLOT_SHIFT;
        final int word = (int)entries[base + STATE_OFFSET];
        final boolean reply = isReply(handle);
        final int next = switch (meta.ipProtocol)
        {
            case TCP -> TcpConntrack.next(word, meta.tcpFlags, reply);
            case SCTP -> SctpConntrack.next(word, meta.sctpChunkType, reply);
            default -> ConntrackState.nextStateless(word, reply);
        };
        if (next == ConntrackState.REOPEN)
        {
            free(index(handle));
            counters.countRemoval();
            counters.countMiss();
            return MISS;
        }
        counters.countHit();
        if (next == ConntrackState.INVALID)
        {
            counters.countInvalid();
            return handle | INVALID_FLAG;
        }
        final int nextWord = reply ? next | ConntrackState.SEEN_REPLY : next;
        entries[base + STATE_OFFSET] = nextWord;
        entries[base + EXPIRY_NS_OFFSET] = nowNs + timeoutNsByState[nextWord & ConntrackState.STATE_MASK];
        entries[base + (reply ? PACKETS_REPLY_OFFSET : PACKETS_ORIGINAL_OFFSET)]++;
        return handle;
    }

    /**
     * An ICMP error is related to the connection its quote names, travelling opposite to the quoted
     * packet. It must be addressed to the quoted packet's sender, as Linux's
     * {@code nf_conntrack_inet_error} requires; otherwise any pod could forge errors about another
     * pod's connections to reach a peer that policy would not let it reach.
     */
    private long lookupRelated(final PacketMeta meta, final long nowNs)
    {
        // Only the quoted packet's destination can legitimately report on it (the switch emits no
        // ICMP errors and anti-spoofing stops pods acting as routers), and only to its sender: any
        // other error is a pod trying to reach a connection's end through someone else's state.
        if (meta.ipDestination != meta.quotedSource || meta.ipSource != meta.quotedDestination)
        {
            counters.countInvalid();
            counters.countMiss();
            return MISS;
        }
        final int protocol = meta.quotedProtocol;
        final int directions;
        if (protocol != ICMP)
        {
            directions = BOTH;
        }
        else if (meta.quotedIcmpType == ICMP_ECHO_REQUEST || meta.quotedIcmpType == ICMP_ECHO_REPLY)
        {
            directions = meta.quotedIcmpType == ICMP_ECHO_REQUEST ? ORIGINAL : REPLY;
        }
        else
        {
            counters.countMiss();
            return MISS;
        }
        // A quoted echo is keyed by its identifier, which the parser put where the ports go.
        final boolean hasPorts = protocol == ICMP || IpProtocol.hasPorts(protocol);
        final int sourcePort = hasPorts ? meta.quotedSourcePort : 0;
        final int destinationPort = hasPorts ? meta.quotedDestinationPort : 0;
        final long found = find(meta.quotedSource, meta.quotedDestination, protocol, sourcePort, destinationPort,
            directions, nowNs);
        if (found == MISS)
        {
            counters.countMiss();
            return MISS;
        }
        counters.countHit();
        counters.countRelated();
        return (found ^ REPLY_FLAG) | RELATED_FLAG;
    }

    /**
     * Tracks a new connection whose first packet, in its original direction, is {@code meta}, which
     * policy generation {@code policyGeneration} allowed. Call it after {@link #lookup} missed; if
     * the connection is tracked after all, its handle is returned unchanged.
     *
     * <p>The first state follows the packet: TCP SYN → SYN_SENT, and in Linux's loose manner a
     * mid-stream ACK or SYN+ACK → ESTABLISHED (not assured until a reply is seen), FIN → FIN_WAIT,
     * RST → CLOSE; SCTP INIT → COOKIE_WAIT; UDP and other protocols → UNREPLIED; ICMP echo request
     * → UNREPLIED.
     *
     * @return the new entry's handle, or {@link #MISS} when the packet cannot start a connection
     * (TCP flags no stack sends, ICMP other than an echo request; counted invalid) or its probe
     * window holds only live assured entries (counted as an insert failure). Either way the
     * caller decides whether to forward the packet untracked.
     */
    public long insert(final PacketMeta meta, final long nowNs, final long policyGeneration)
    {
        final int protocol = meta.ipProtocol;
        final int word = switch (protocol)
        {
            case TCP -> TcpConntrack.initial(meta.tcpFlags);
            case UDP -> ConntrackState.UDP_UNREPLIED;
            case SCTP -> SctpConntrack.initial(meta.sctpChunkType);
            case ICMP -> meta.icmpType == ICMP_ECHO_REQUEST ? ConntrackState.ICMP_UNREPLIED : ConntrackState.INVALID;
            default -> ConntrackState.GENERIC_UNREPLIED;
        };
        // The key's ports: the packet's where its protocol has them, an echo's identifier both ways, else none.
        final boolean hasPorts = IpProtocol.hasPorts(protocol);
        final int sourcePort = hasPorts ? meta.sourcePort : protocol == ICMP ? meta.icmpIdentifier : 0;
        final int destinationPort = hasPorts ? meta.destinationPort : protocol == ICMP ? meta.icmpIdentifier : 0;
        if (word == ConntrackState.INVALID)
        {
            counters.countInvalid();
            return MISS;
        }
        final int source = meta.ipSource;
        final int destination = meta.ipDestination;
        final long existing = find(source, destination, protocol, sourcePort, destinationPort,
            protocol == ICMP ? ORIGINAL : BOTH, nowNs);
        if (existing != MISS)
        {
            return existing;
        }
        final long addresses = addresses(source, destination);
        final long protocolPorts = protocolPorts(protocol, sourcePort, destinationPort);
        final long hash = hash(addresses, protocolPorts);
        final int slot = claimSlot((int)hash & mask, nowNs);
        if (slot < 0)
        {
            counters.countInsertFailure();
            return MISS;
        }
        hashBySlot[slot] = tag(hash);
        final int base = slot << SLOT_SHIFT;
        entries[base + ADDRESSES_OFFSET] = addresses;
        entries[base + PROTOCOL_PORTS_OFFSET] = protocolPorts;
        entries[base + EXPIRY_NS_OFFSET] = nowNs + timeoutNsByState[word & ConntrackState.STATE_MASK];
        entries[base + STATE_OFFSET] = word;
        entries[base + POLICY_GENERATION_OFFSET] = policyGeneration;
        entries[base + CREATED_NS_OFFSET] = nowNs;
        entries[base + PACKETS_ORIGINAL_OFFSET] = 1;
        entries[base + PACKETS_REPLY_OFFSET] = 0;
        final int forward = slot << FORWARD_SHIFT;
        forwardBySlot[forward] = NO_FORWARD_GENERATION;
        forwardBySlot[forward + 2] = NO_FORWARD_GENERATION;
        size++;
        counters.countInsert();
        return slot;
    }

    /** A free slot in the window from {@code home}, else an expired one, else an evictable one, else -1. */
    private int claimSlot(final int home, final long nowNs)
    {
        int victim = -1;
        long victimExpiryNs = 0;
        for (int i = 0; i < window; i++)
        {
            final int slot = (home + i) & mask;
            if (hashBySlot[slot] == 0)
            {
                return slot;
            }
        }
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
            // Compared by difference, as nanoTime values may be negative or wrap.
            if (!ConntrackState.isAssured((int)entries[base + STATE_OFFSET])
                && (victim < 0 || expiryNs - victimExpiryNs < 0))
            {
                victim = slot;
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
     * The handle of the live entry for this tuple in the given directions, freeing an expired one.
     * At most one entry exists per connection, so the reversed tuple is only probed on a miss.
     */
    private long find(final int source, final int destination, final int protocol, final int sourcePort,
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
     * Frees expired entries among at most {@code maxSlots} slots, continuing where the previous
     * call stopped, so housekeeping spreads a full pass over many cycles.
     *
     * @return the number of entries freed, as work done for an idle strategy.
     */
    public int sweep(final long nowNs, final int maxSlots)
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

    /** Stops tracking the connection, e.g. when the lead's re-evaluation finds policy now denies it. */
    public void remove(final long handle)
    {
        final int slot = index(handle);
        if (slot >= 0 && slot <= mask && hashBySlot[slot] != 0)
        {
            free(slot);
            counters.countRemoval();
        }
    }

    /**
     * Forgets every connection to or from {@code ip}: the endpoint that had it is gone, and a new
     * one given the same address must not inherit its tracked connections (which pass without a
     * policy lookup). Scans the whole table — a control event, not per packet.
     *
     * @return how many entries were removed.
     */
    public int removeAllOf(final int ip)
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

    /**
     * The forwarding action cached for this packet's direction of its connection, or -1 when none
     * was cached under {@code tableGeneration} (the table changed since, or nothing was cached).
     */
    public long cachedForward(final long handle, final long tableGeneration)
    {
        final int forward = (index(handle) << FORWARD_SHIFT) + (isReply(handle) ? 2 : 0);
        return forwardBySlot[forward] == tableGeneration ? forwardBySlot[forward + 1] : -1;
    }

    /** Caches the action taken for this packet's direction under {@code tableGeneration}. */
    public void cacheForward(final long handle, final long tableGeneration, final long action)
    {
        final int forward = (index(handle) << FORWARD_SHIFT) + (isReply(handle) ? 2 : 0);
        forwardBySlot[forward] = tableGeneration;
        forwardBySlot[forward + 1] = action;
    }

    public long policyGeneration(final long handle)
    {
        return entries[(index(handle) << SLOT_SHIFT) + POLICY_GENERATION_OFFSET];
    }

    public void policyGeneration(final long handle, final long policyGeneration)
    {
        entries[(index(handle) << SLOT_SHIFT) + POLICY_GENERATION_OFFSET] = policyGeneration;
    }

    /** The state word (see {@link ConntrackState}) of the entry. */
    public int state(final long handle)
    {
        return (int)entries[(index(handle) << SLOT_SHIFT) + STATE_OFFSET];
    }

    public long expiryNs(final long handle)
    {
        return entries[(index(handle) << SLOT_SHIFT) + EXPIRY_NS_OFFSET];
    }

    /** Entries in use, expired ones not yet freed included. */
    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return mask + 1;
    }

    public ConntrackCounters counters()
    {
        return counters;
    }

    /** A copy of the entry, or {@code null} when its slot is free. Allocates; not for the packet path. */
    public ConntrackEntry describe(final long handle)
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
        return new ConntrackEntry(slot, (int)(protocolPorts >>> 32), (int)(addresses >>> 32), (int)addresses,
            (int)(protocolPorts >>> 16) & 0xFFFF, (int)protocolPorts & 0xFFFF, ConntrackState.name(word),
            (word & ConntrackState.SEEN_REPLY) != 0, ConntrackState.isAssured(word), entries[base + CREATED_NS_OFFSET],
            entries[base + EXPIRY_NS_OFFSET], entries[base + POLICY_GENERATION_OFFSET],
            entries[base + PACKETS_ORIGINAL_OFFSET], entries[base + PACKETS_REPLY_OFFSET]);
    }

    /** Every entry in use, in slot order. Allocates; for the CLI and tests. */
    public List<ConntrackEntry> snapshot()
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

    private void free(final int slot)
    {
        hashBySlot[slot] = 0;
        size--;
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
