package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.PacketMeta;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The naive oracle for {@link ConnectionTracker}: a HashMap from the original-direction tuple to
 * the connection, unbounded, with the same rules written state by state from the documentation
 * (timeouts in seconds from Linux's nf_conntrack sysctl defaults), independently of the tracker's
 * flag-by-flag state machines. Each connection is charged to a zone, and a zone (but nobody's,
 * zone 0) may hold at most a limit of them, expired ones not yet dropped included.
 */
final class ReferenceTracker
{
    record Tuple(int protocol, int source, int destination, int sourcePort, int destinationPort)
    {
        Tuple reversed()
        {
            return new Tuple(protocol, destination, source, destinationPort, sourcePort);
        }
    }

    static final class Connection
    {
        final Tuple tuple;
        String state;
        boolean seenReply;
        boolean finOriginal;
        boolean finReply;
        long expiryNs;
        long policyGeneration;
        int zone;

        Connection(final Tuple tuple)
        {
            this.tuple = tuple;
        }
    }

    /** What a lookup found: nothing, or the connection and how the packet relates to it. */
    record Result(Connection connection, boolean reply, boolean related, boolean invalid)
    {
        static final Result MISS = new Result(null, false, false, false);
        /** An insert refused because the connection's zone holds its limit. */
        static final Result ZONE_FULL = new Result(null, false, false, false);
    }

    private static final long S = 1_000_000_000L;
    private static final String INVALID = "invalid";
    private static final String REOPEN = "reopen";

    final Map<Tuple, Connection> connections = new HashMap<>();

    static long timeoutNs(final String protocolAndState)
    {
        final long seconds = switch (protocolAndState)
        {
            case "tcp SYN_SENT", "tcp FIN_WAIT", "tcp TIME_WAIT", "udp REPLIED" -> 120;
            case "tcp SYN_RECEIVED", "tcp CLOSE_WAIT" -> 60;
            case "tcp ESTABLISHED" -> 432_000;
            case "tcp LAST_ACK", "udp UNREPLIED", "icmp UNREPLIED", "icmp REPLIED" -> 30;
            case "tcp CLOSE", "sctp CLOSED" -> 10;
            case "sctp COOKIE_WAIT", "sctp SHUTDOWN" -> 3;
            case "sctp ESTABLISHED" -> 210;
            case "other UNREPLIED", "other REPLIED" -> 600;
            default -> throw new AssertionError(protocolAndState);
        };
        return seconds * S;
    }

    private static String family(final int protocol)
    {
        return switch (protocol)
        {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            case 132 -> "sctp";
            default -> "other";
        };
    }

    private static Tuple tupleOf(final PacketMeta p)
    {
        return switch (p.ipProtocol)
        {
            case 6, 17, 132 -> new Tuple(p.ipProtocol, p.ipSource, p.ipDestination, p.sourcePort, p.destinationPort);
            case 1 -> new Tuple(1, p.ipSource, p.ipDestination, p.icmpIdentifier, p.icmpIdentifier);
            default -> new Tuple(p.ipProtocol, p.ipSource, p.ipDestination, 0, 0);
        };
    }

    /** The live connection the tuple belongs to, in either allowed direction; drops an expired one. */
    private Result find(final Tuple tuple, final boolean original, final boolean reply, final long nowNs)
    {
        Connection found = original ? connections.get(tuple) : null;
        boolean isReply = false;
        if (found == null && reply)
        {
            found = connections.get(tuple.reversed());
            isReply = found != null;
        }
        if (found == null)
        {
            return Result.MISS;
        }
        if (nowNs >= found.expiryNs)
        {
            connections.remove(found.tuple);
            return Result.MISS;
        }
        return new Result(found, isReply, false, false);
    }

    Result lookup(final PacketMeta p, final long nowNs)
    {
        if (p.ipProtocol == 1)
        {
            if (p.icmpType == 8)
            {
                return advance(find(tupleOf(p), true, false, nowNs), p, nowNs);
            }
            if (p.icmpType == 0)
            {
                return advance(find(tupleOf(p), false, true, nowNs), p, nowNs);
            }
            if (!p.icmpErrorHasQuote || p.ipDestination != p.quotedSource || p.ipSource != p.quotedDestination)
            {
                return Result.MISS;
            }
            final boolean ports = p.quotedProtocol == 1 || p.quotedProtocol == 6 || p.quotedProtocol == 17
                || p.quotedProtocol == 132;
            final Tuple quoted = new Tuple(p.quotedProtocol, p.quotedSource, p.quotedDestination,
                ports ? p.quotedSourcePort : 0, ports ? p.quotedDestinationPort : 0);
            if (p.quotedProtocol == 1 && p.quotedIcmpType != 0 && p.quotedIcmpType != 8)
            {
                return Result.MISS;
            }
            final boolean original = p.quotedProtocol != 1 || p.quotedIcmpType == 8;
            final boolean reply = p.quotedProtocol != 1 || p.quotedIcmpType == 0;
            final Result found = find(quoted, original, reply, nowNs);
            return found == Result.MISS ? found : new Result(found.connection, !found.reply, true, false);
        }
        return advance(find(tupleOf(p), true, true, nowNs), p, nowNs);
    }

    private Result advance(final Result found, final PacketMeta p, final long nowNs)
    {
        if (found == Result.MISS)
        {
            return found;
        }
        final Connection c = found.connection;
        final boolean reply = found.reply;
        final String next = switch (p.ipProtocol)
        {
            case 6 -> tcp(c, p.tcpFlags, reply);
            case 132 -> sctp(c.state, p.sctpChunkType, reply);
            default -> reply ? "REPLIED" : c.state;
        };
        if (next.equals(REOPEN))
        {
            connections.remove(c.tuple);
            return Result.MISS;
        }
        if (next.equals(INVALID))
        {
            return new Result(c, reply, false, true);
        }
        if (p.ipProtocol == 6 && p.tcpFlags != 0 && (p.tcpFlags & 0x05) == 0x01)
        {
            // FIN (without RST) marks its sender once the segment is accepted.
            if (reply)
            {
                c.finReply = true;
            }
            else
            {
                c.finOriginal = true;
            }
        }
        c.state = next;
        c.seenReply |= reply;
        c.expiryNs = nowNs + timeoutNs(family(c.tuple.protocol) + " " + next);
        return found;
    }

    /** State by state: what each segment does, for segments a TCP stack can send. */
    private static String tcp(final Connection c, final int flags, final boolean reply)
    {
        final boolean syn = (flags & 0x02) != 0;
        final boolean ack = (flags & 0x10) != 0;
        final boolean fin = (flags & 0x01) != 0;
        final boolean rst = (flags & 0x04) != 0;
        if (!syn && !ack && !fin && !rst || syn && (fin || rst))
        {
            return INVALID;
        }
        if (rst)
        {
            return "CLOSE";
        }
        final boolean myFin = reply ? c.finReply : c.finOriginal;
        final String s = c.state;
        if (syn && !ack)
        {
            if (reply)
            {
                return s.equals("SYN_SENT") || s.equals("SYN_RECEIVED") ? "SYN_RECEIVED" : INVALID;
            }
            return s.equals("TIME_WAIT") || s.equals("CLOSE") ? REOPEN : s;
        }
        return switch (s)
        {
            case "SYN_SENT" -> syn && reply ? "SYN_RECEIVED" : INVALID;
            case "SYN_RECEIVED" -> syn ? s : fin ? "FIN_WAIT" : reply ? s : "ESTABLISHED";
            case "ESTABLISHED" -> syn ? (reply ? s : INVALID) : fin ? "FIN_WAIT" : s;
            case "FIN_WAIT" -> syn ? INVALID : myFin ? s : fin ? "LAST_ACK" : "CLOSE_WAIT";
            case "CLOSE_WAIT" -> syn ? INVALID : fin && !myFin ? "LAST_ACK" : s;
            case "LAST_ACK" -> syn ? INVALID : fin ? s : "TIME_WAIT";
            default -> syn ? INVALID : s;
        };
    }

    private static String sctp(final String state, final int chunk, final boolean reply)
    {
        if (chunk == 6 || chunk == 14)
        {
            return "CLOSED";
        }
        if (chunk == 7 || chunk == 8)
        {
            return state.equals("CLOSED") ? state : "SHUTDOWN";
        }
        if (chunk == 1 && !reply && (state.equals("SHUTDOWN") || state.equals("CLOSED")))
        {
            return REOPEN;
        }
        return chunk == 2 && reply && state.equals("COOKIE_WAIT") ? "ESTABLISHED" : state;
    }

    /** As {@link #insert(PacketMeta, long, long, int, int)} charged to nobody. */
    Result insert(final PacketMeta p, final long nowNs, final long policyGeneration)
    {
        return insert(p, nowNs, policyGeneration, 0, Integer.MAX_VALUE);
    }

    /** The connections charged to {@code zone}. */
    int zoneSize(final int zone)
    {
        return (int)connections.values().stream().filter(c -> c.zone == zone).count();
    }

    /**
     * The new connection, an existing one for the same tuple (whatever its zone holds), MISS when
     * none may start, or ZONE_FULL when {@code zone} (not 0) already holds {@code zoneLimit}.
     */
    Result insert(final PacketMeta p, final long nowNs, final long policyGeneration, final int zone,
        final int zoneLimit)
    {
        final String first = switch (p.ipProtocol)
        {
            case 6 -> firstTcp(p.tcpFlags);
            case 17, 47, 50 -> "UNREPLIED";
            case 1 -> p.icmpType == 8 ? "UNREPLIED" : INVALID;
            case 132 -> switch (p.sctpChunkType)
            {
                case 1 -> "COOKIE_WAIT";
                case 6, 14 -> "CLOSED";
                case 7, 8 -> "SHUTDOWN";
                default -> "ESTABLISHED";
            };
            default -> "UNREPLIED";
        };
        if (first.equals(INVALID))
        {
            return Result.MISS;
        }
        final Tuple tuple = tupleOf(p);
        final Result existing = find(tuple, true, p.ipProtocol != 1, nowNs);
        if (existing != Result.MISS)
        {
            return existing;
        }
        if (zone != 0 && zoneSize(zone) >= zoneLimit)
        {
            return Result.ZONE_FULL;
        }
        final Connection c = new Connection(tuple);
        c.zone = zone;
        c.state = first;
        c.finOriginal = p.ipProtocol == 6 && first.equals("FIN_WAIT");
        c.expiryNs = nowNs + timeoutNs(family(p.ipProtocol) + " " + first);
        c.policyGeneration = policyGeneration;
        connections.put(tuple, c);
        return new Result(c, false, false, false);
    }

    private static String firstTcp(final int flags)
    {
        final boolean syn = (flags & 0x02) != 0;
        final boolean ack = (flags & 0x10) != 0;
        final boolean fin = (flags & 0x01) != 0;
        final boolean rst = (flags & 0x04) != 0;
        if (!syn && !ack && !fin && !rst || syn && (fin || rst))
        {
            return INVALID;
        }
        return rst ? "CLOSE" : fin ? "FIN_WAIT" : syn && !ack ? "SYN_SENT" : "ESTABLISHED";
    }

    void remove(final Connection c)
    {
        connections.remove(c.tuple);
    }

    /** Drops every expired connection, as a full sweep does. */
    int sweepAll(final long nowNs)
    {
        int freed = 0;
        for (final Iterator<Connection> it = connections.values().iterator(); it.hasNext(); )
        {
            if (nowNs >= it.next().expiryNs)
            {
                it.remove();
                freed++;
            }
        }
        return freed;
    }
}
