package dev.podswitch.scenarios.live.sctp;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a userspace SCTP responder did with every packet it received: each packet ends in exactly
 * one of the answered or ignored counters ({@link #isBalanced()}). Written by the responder's
 * thread, read by any (tests, diagnostics).
 */
public final class SctpCounters
{
    /** One counter. */
    public enum Count
    {
        /** Every packet the raw socket delivered. */
        RECEIVED,
        /** INIT to a served port, answered with an INIT ACK. */
        INIT_ACK_SENT,
        /** INIT to a port nothing serves, answered with an ABORT. */
        ABORT_SENT,
        /** COOKIE ECHO with one of our cookies, answered with a COOKIE ACK. */
        COOKIE_ACK_SENT,
        /** Shorter than its headers or length fields say. */
        IGNORED_TRUNCATED,
        /** Not IPv4 protocol 132, or a fragment. */
        IGNORED_BAD_IP_HEADER,
        /** Wrong CRC32c. */
        IGNORED_BAD_CHECKSUM,
        /** A chunk whose lengths or fields break RFC 9260 (an INIT with a tag, a zero initiate tag, bundled). */
        IGNORED_MALFORMED,
        /** A COOKIE ECHO whose cookie is not one of ours (wrong MAC, tag or ports). */
        IGNORED_BAD_COOKIE,
        /** Well-formed but not a request a responder answers (INIT ACK, ABORT, DATA, …: replies to our own probes, mostly). */
        IGNORED_NOT_A_REQUEST,
        /** A packet whose handling threw (a bug): counted and survived, never the end of the responder. */
        INTERNAL_ERROR,
        /** An answer the kernel would not send (no route, buffer full); the peer resends its INIT. */
        SEND_FAILED
    }

    private final AtomicLongArray values = new AtomicLongArray(Count.values().length);

    void increment(final Count count)
    {
        values.incrementAndGet(count.ordinal());
    }

    public long get(final Count count)
    {
        return values.get(count.ordinal());
    }

    /** Every counter, in declaration order. */
    public Map<Count, Long> snapshot()
    {
        final Map<Count, Long> copy = new EnumMap<>(Count.class);
        for (final Count count : Count.values())
        {
            copy.put(count, get(count));
        }
        return copy;
    }

    /** Received = answered + ignored (send failures are counted on top of the answer they lost). */
    public boolean isBalanced()
    {
        long outcomes = 0;
        for (final Count count : Count.values())
        {
            if (count != Count.RECEIVED && count != Count.SEND_FAILED)
            {
                outcomes += get(count);
            }
        }
        return outcomes == get(Count.RECEIVED);
    }

    @Override
    public String toString()
    {
        return snapshot().toString();
    }
}
