package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;

import java.util.List;

/**
 * Stateful connection tracking for one node pipeline: which connections policy has allowed, in
 * which direction each was opened, and how far its protocol has got, so that replies and ICMP
 * errors about allowed connections pass without a policy decision (after OVS
 * {@code lib/conntrack.c} and Linux nf_conntrack). This class says what a packet does to its
 * connection — which tuple it is found by, the state it starts in or moves to ({@link TcpConntrack},
 * {@link SctpConntrack}, {@link ConntrackState}), when an ICMP error is related — and
 * {@link ConntrackTable} keeps the entries (their memory layout, probing, expiry and eviction) and
 * {@link ForwardCache} the forwarding decision cached per connection.
 *
 * <p><b>Ownership.</b> One instance per pipeline thread, which alone calls every method except
 * {@link #counters()} (readable from any thread); no locks. Other threads (CLI, control) reach it
 * through the pipeline's command queue. <b>Lifecycle.</b> All memory is allocated by the
 * constructor and never grows; entries leave by expiry, eviction, reopening or {@link #remove}
 * (see {@link ConntrackTable}). Time is the caller's {@code nowNs} (one clock read per batch), so
 * tests drive expiry without sleeping.
 *
 * <p><b>Zones.</b> One table serves every pod of the node, so each new connection is charged to a
 * zone — the local endpoint it belongs to, chosen by the caller — and a zone may hold at most
 * {@link #zoneLimit()} entries (by default {@value #ZONE_LIMIT_PERCENT_DEFAULT}% of the capacity,
 * {@code -D}{@value #ZONE_LIMIT_PERCENT_PROP_NAME}), as Linux's nf_conntrack zone limits and OVS's
 * {@code dpctl/ct-set-limits} bound each zone. A new connection over its zone's share is refused
 * ({@link #ZONE_FULL}), not given another pod's slot; and eviction never takes an entry of a zone
 * holding fewer entries than the inserting one (see {@link ConntrackTable}). So one pod's flood of
 * new flows — unanswered or answered — can neither evict another pod's unanswered handshakes and
 * DNS queries nor fill the table with assured entries until everyone else goes untracked.
 *
 * <p><b>Handles.</b> {@link #lookup} and {@link #insert} return a handle: the slot index in the low
 * 32 bits and {@link #isReply}, {@link #isRelated}, {@link #isInvalid} flags above, or {@link #MISS}
 * (or, from {@link #insert}, {@link #ZONE_FULL}). A handle is valid until the next call that can
 * free an entry (lookup, insert, sweep, remove).
 *
 * <p>Why this file is over 400 lines: it is the dispatch of every protocol's packets to their
 * connection (TCP, UDP, ICMP with its related errors, SCTP) plus the per-pod zone shares; the
 * state machines and the table are in classes of their own.
 */
public final class ConnectionTracker
{
    public static final long MISS = ConntrackTable.MISS;
    /** From {@link #insert}: the connection's zone holds its limit of entries; it is not tracked. */
    public static final long ZONE_FULL = -2;
    /** Charged to nobody: not limited (callers that do not know the local endpoint; tests, benchmarks). */
    public static final int NO_ZONE = ConntrackTable.NO_ZONE;
    /**
     * The zone of connections with no local endpoint at either end (255.255.255.255, never an
     * endpoint's address): one share for all of them.
     */
    public static final int FOREIGN_ZONE = -1;
    public static final String ZONE_LIMIT_PERCENT_PROP_NAME = "switch.conntrack.zoneLimitPercent";
    /**
     * A quarter: a busy pod (a proxy, a load generator) may hold many connections, and three
     * quarters of the table stay for the others whatever one pod does. Every pod of a node flooding
     * at once can still fill it; the limit is about one pod, as Linux's and OVS's per-zone ones are.
     */
    public static final int ZONE_LIMIT_PERCENT_DEFAULT = 25;
    private static final int ZONE_LIMIT_PERCENT =
        Integer.getInteger(ZONE_LIMIT_PERCENT_PROP_NAME, ZONE_LIMIT_PERCENT_DEFAULT);
    /** Slots a key may occupy from its home: the cost of a lookup, and the eviction neighbourhood. */
    public static final int PROBE_WINDOW = ConntrackTable.PROBE_WINDOW;
    public static final int MAX_CAPACITY = ConntrackTable.MAX_CAPACITY;

    private static final int ORIGINAL = ConntrackTable.ORIGINAL;
    private static final int REPLY = ConntrackTable.REPLY;
    private static final int BOTH = ConntrackTable.BOTH;

    private static final int ICMP = 1;
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SCTP = 132;
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;

    private final ConntrackCounters counters = new ConntrackCounters();
    private final ConntrackTable table;
    private final ForwardCache forwardCache;

    /** With each zone limited to {@value #ZONE_LIMIT_PERCENT_PROP_NAME} percent of {@code capacity} (at least one entry). */
    public ConnectionTracker(final int capacity, final ConntrackTimeouts timeouts)
    {
        this(capacity, timeouts, zoneLimitFor(capacity, ZONE_LIMIT_PERCENT));
    }

    /** @param zoneLimit the most entries one zone may hold, in [1, capacity]. */
    public ConnectionTracker(final int capacity, final ConntrackTimeouts timeouts, final int zoneLimit)
    {
        this.table = new ConntrackTable(capacity, timeouts, counters, zoneLimit);
        this.forwardCache = new ForwardCache(capacity);
    }

    /** {@code percent} of {@code capacity}, at least one entry. */
    static int zoneLimitFor(final int capacity, final int percent)
    {
        if (percent < 1 || percent > 100)
        {
            throw new IllegalArgumentException(ZONE_LIMIT_PERCENT_PROP_NAME + "=" + percent
                + " must lie in [1, 100]: the share of the conntrack table one local endpoint may hold");
        }
        return (int)Math.max(1, (long)capacity * percent / 100);
    }

    public static boolean isReply(final long handle)
    {
        return ConntrackTable.isReply(handle);
    }

    /** An ICMP error about a tracked connection; {@link #isReply} then says which way it travels. */
    public static boolean isRelated(final long handle)
    {
        return (handle & ConntrackTable.RELATED_FLAG) != 0;
    }

    /** The packet matched an entry but not its protocol state, which it did not advance. */
    public static boolean isInvalid(final long handle)
    {
        return (handle & ConntrackTable.INVALID_FLAG) != 0;
    }

    public static int index(final long handle)
    {
        return ConntrackTable.index(handle);
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
                found = table.find(meta.ipSource, meta.ipDestination, ICMP, meta.icmpIdentifier, meta.icmpIdentifier,
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
            found = table.find(meta.ipSource, meta.ipDestination, protocol, hasPorts ? meta.sourcePort : 0,
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
        final int word = table.state(handle);
        final boolean reply = isReply(handle);
        final int next = switch (meta.ipProtocol)
        {
            case TCP -> TcpConntrack.next(word, meta.tcpFlags, reply);
            case SCTP -> SctpConntrack.next(word, meta.sctpChunkType, reply);
            default -> ConntrackState.nextStateless(word, reply);
        };
        if (next == ConntrackState.REOPEN)
        {
            table.remove(handle);
            counters.countMiss();
            return MISS;
        }
        counters.countHit();
        if (next == ConntrackState.INVALID)
        {
            counters.countInvalid();
            return handle | ConntrackTable.INVALID_FLAG;
        }
        table.advance(handle, reply ? next | ConntrackState.SEEN_REPLY : next, nowNs);
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
        final long found = table.find(meta.quotedSource, meta.quotedDestination, protocol, sourcePort, destinationPort,
            directions, nowNs);
        if (found == MISS)
        {
            counters.countMiss();
            return MISS;
        }
        counters.countHit();
        counters.countRelated();
        return (found ^ ConntrackTable.REPLY_FLAG) | ConntrackTable.RELATED_FLAG;
    }

    /** As {@link #insert(PacketMeta, long, long, int)} charged to nobody ({@link #NO_ZONE}): never {@link #ZONE_FULL}. */
    public long insert(final PacketMeta meta, final long nowNs, final long policyGeneration)
    {
        return insert(meta, nowNs, policyGeneration, NO_ZONE);
    }

    /**
     * Tracks a new connection whose first packet, in its original direction, is {@code meta}, which
     * policy generation {@code policyGeneration} allowed, charged to {@code zone} (the local
     * endpoint it belongs to). Call it after {@link #lookup} missed; if the connection is tracked
     * after all, its handle is returned unchanged, whatever its zone holds.
     *
     * <p>The first state follows the packet: TCP SYN → SYN_SENT, and in Linux's loose manner a
     * mid-stream ACK or SYN+ACK → ESTABLISHED (not assured until a reply is seen), FIN → FIN_WAIT,
     * RST → CLOSE; SCTP INIT → COOKIE_WAIT; UDP and other protocols → UNREPLIED; ICMP echo request
     * → UNREPLIED.
     *
     * @return the new entry's handle; {@link #ZONE_FULL} when the zone holds its limit (counted:
     * the caller drops the packet); or {@link #MISS} when the packet cannot start a connection
     * (TCP flags no stack sends, ICMP other than an echo request; counted invalid) or its probe
     * window holds only entries it may not take (counted as an insert failure) — then the caller
     * decides whether to forward the packet untracked.
     */
    public long insert(final PacketMeta meta, final long nowNs, final long policyGeneration, final int zone)
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
        final long existing = table.find(source, destination, protocol, sourcePort, destinationPort,
            protocol == ICMP ? ORIGINAL : BOTH, nowNs);
        if (existing != MISS)
        {
            return existing;
        }
        if (!table.hasRoomIn(zone))
        {
            counters.countZoneFull();
            return ZONE_FULL;
        }
        final long handle = table.add(source, destination, protocol, sourcePort, destinationPort, word,
            policyGeneration, nowNs, zone);
        if (handle == MISS)
        {
            counters.countInsertFailure();
            return MISS;
        }
        forwardCache.forget(handle);
        counters.countInsert();
        return handle;
    }

    /**
     * Frees expired entries among at most {@code maxSlots} slots, continuing where the previous
     * call stopped, so housekeeping spreads a full pass over many cycles.
     *
     * @return the number of entries freed, as work done for an idle strategy.
     */
    public int sweep(final long nowNs, final int maxSlots)
    {
        return table.sweep(nowNs, maxSlots);
    }

    /** Stops tracking the connection, e.g. when the lead's re-evaluation finds policy now denies it. */
    public void remove(final long handle)
    {
        table.remove(handle);
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
        return table.removeAllOf(ip);
    }

    /**
     * The forwarding action cached for this packet's direction of its connection, or -1 when none
     * was cached under {@code tableGeneration} (the table changed since, or nothing was cached).
     */
    public long cachedForward(final long handle, final long tableGeneration)
    {
        return forwardCache.action(handle, tableGeneration);
    }

    /** Caches the action taken for this packet's direction under {@code tableGeneration}. */
    public void cacheForward(final long handle, final long tableGeneration, final long action)
    {
        forwardCache.remember(handle, tableGeneration, action);
    }

    public long policyGeneration(final long handle)
    {
        return table.policyGeneration(handle);
    }

    public void policyGeneration(final long handle, final long policyGeneration)
    {
        table.policyGeneration(handle, policyGeneration);
    }

    /** The state word (see {@link ConntrackState}) of the entry. */
    public int state(final long handle)
    {
        return table.state(handle);
    }

    public long expiryNs(final long handle)
    {
        return table.expiryNs(handle);
    }

    /** Entries in use, expired ones not yet freed included. */
    public int size()
    {
        return table.size();
    }

    public int capacity()
    {
        return table.capacity();
    }

    /** The most entries one zone may hold. */
    public int zoneLimit()
    {
        return table.zoneLimit();
    }

    /** The entries {@code zone} holds now, expired ones not yet freed included (0 for {@link #NO_ZONE}). */
    public int zoneSize(final int zone)
    {
        return table.zoneSize(zone);
    }

    public ConntrackCounters counters()
    {
        return counters;
    }

    /** A copy of the entry, or {@code null} when its slot is free. Allocates; not for the packet path. */
    public ConntrackEntry describe(final long handle)
    {
        return table.describe(handle);
    }

    /** Every entry in use, in slot order. Allocates; for the CLI and tests. */
    public List<ConntrackEntry> snapshot()
    {
        return table.snapshot();
    }

    /**
     * At most {@code limit} live entries (unexpired at {@code nowNs}) and whether more were left out
     * (see {@link ConntrackSnapshot}). A scan of the table on the pipeline thread — a control
     * command run between batches ({@code NodeDatapath#requestConnections}), not for the packet path.
     */
    public ConntrackSnapshot snapshot(final int limit, final long nowNs)
    {
        return table.snapshot(limit, nowNs);
    }
}
