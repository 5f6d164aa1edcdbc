package dev.podswitch.dataplane.conntrack;

import static dev.podswitch.dataplane.conntrack.ConntrackState.REOPEN;
import static dev.podswitch.dataplane.conntrack.ConntrackState.SCTP_CLOSED;
import static dev.podswitch.dataplane.conntrack.ConntrackState.SCTP_COOKIE_WAIT;
import static dev.podswitch.dataplane.conntrack.ConntrackState.SCTP_ESTABLISHED;
import static dev.podswitch.dataplane.conntrack.ConntrackState.SCTP_SHUTDOWN;
import static dev.podswitch.dataplane.conntrack.ConntrackState.STATE_MASK;

/**
 * The SCTP state machine, driven by the first chunk of each packet (all the parser reads; INIT,
 * INIT ACK, ABORT, SHUTDOWN and SHUTDOWN COMPLETE always travel first). A reduced form of Linux's
 * {@code sctp_conntracks}: the cookie exchange is folded into ESTABLISHED as soon as the peer
 * answers the INIT, because an INIT ACK in the reply direction is what proves the association
 * to policy.
 *
 * <pre>
 *  INIT ─► COOKIE_WAIT ──INIT ACK (reply)──► ESTABLISHED ──SHUTDOWN, SHUTDOWN ACK──► SHUTDOWN
 *  ABORT or SHUTDOWN COMPLETE in any state ─► CLOSED.  INIT (original) in SHUTDOWN or CLOSED ─► REOPEN.
 * </pre>
 *
 * Any other first chunk starts ESTABLISHED (loose pickup, as for TCP). No chunk is invalid.
 */
final class SctpConntrack
{
    static final int CHUNK_INIT = 1;
    static final int CHUNK_INIT_ACK = 2;
    static final int CHUNK_ABORT = 6;
    static final int CHUNK_SHUTDOWN = 7;
    static final int CHUNK_SHUTDOWN_ACK = 8;
    static final int CHUNK_SHUTDOWN_COMPLETE = 14;

    private SctpConntrack()
    {
    }

    static int initial(final int chunkType)
    {
        return switch (chunkType)
        {
            case CHUNK_INIT -> SCTP_COOKIE_WAIT;
            case CHUNK_ABORT, CHUNK_SHUTDOWN_COMPLETE -> SCTP_CLOSED;
            case CHUNK_SHUTDOWN, CHUNK_SHUTDOWN_ACK -> SCTP_SHUTDOWN;
            default -> SCTP_ESTABLISHED;
        };
    }

    static int next(final int word, final int chunkType, final boolean reply)
    {
        final int state = word & STATE_MASK;
        return switch (chunkType)
        {
            case CHUNK_ABORT, CHUNK_SHUTDOWN_COMPLETE -> with(word, SCTP_CLOSED);
            case CHUNK_SHUTDOWN, CHUNK_SHUTDOWN_ACK -> state == SCTP_CLOSED ? word : with(word, SCTP_SHUTDOWN);
            case CHUNK_INIT -> !reply && (state == SCTP_SHUTDOWN || state == SCTP_CLOSED) ? REOPEN : word;
            case CHUNK_INIT_ACK -> reply && state == SCTP_COOKIE_WAIT ? with(word, SCTP_ESTABLISHED) : word;
            default -> word;
        };
    }

    private static int with(final int word, final int state)
    {
        return (word & ~STATE_MASK) | state;
    }
}
