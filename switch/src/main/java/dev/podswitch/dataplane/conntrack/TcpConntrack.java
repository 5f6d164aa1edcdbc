package dev.podswitch.dataplane.conntrack;

import static dev.podswitch.dataplane.conntrack.ConntrackState.FIN_ORIGINAL;
import static dev.podswitch.dataplane.conntrack.ConntrackState.FIN_REPLY;
import static dev.podswitch.dataplane.conntrack.ConntrackState.INVALID;
import static dev.podswitch.dataplane.conntrack.ConntrackState.REOPEN;
import static dev.podswitch.dataplane.conntrack.ConntrackState.STATE_MASK;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_CLOSE;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_CLOSE_WAIT;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_ESTABLISHED;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_FIN_WAIT;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_LAST_ACK;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_SYN_RECEIVED;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_SYN_SENT;
import static dev.podswitch.dataplane.conntrack.ConntrackState.TCP_TIME_WAIT;

/**
 * The TCP state machine, driven by flags alone (in the spirit of Linux's {@code tcp_conntracks}
 * table and OVS {@code conntrack-tcp.c}, without their sequence-window checks: this switch
 * enforces policy, it does not defend endpoints against spoofed segments).
 *
 * <pre>
 *  first packet SYN ──► SYN_SENT ──SYN+ACK (reply)──► SYN_RECEIVED ──ACK (original)──► ESTABLISHED
 *                                                          │ FIN                           │ FIN from X
 *                                                          └───────────► FIN_WAIT ◄────────┘
 *                                           ACK from not-X │           │ FIN from not-X
 *                                                          ▼           ▼
 *                                                     CLOSE_WAIT ──► LAST_ACK ──ACK──► TIME_WAIT
 *                                                        FIN from not-X
 *  RST in any state ──► CLOSE.   SYN (original) in TIME_WAIT or CLOSE ──► REOPEN (a new connection).
 * </pre>
 *
 * The side X that closed first is kept in the FIN flag bits, so an ACK that X sends for data
 * does not count as the other side acknowledging X's FIN. Linux's loose mode
 * ({@code nf_conntrack_tcp_loose=1}) is followed for first packets: {@link #initial} picks up a
 * connection mid-stream.
 */
final class TcpConntrack
{
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    private TcpConntrack()
    {
    }

    /**
     * The state a connection starts in when its first tracked packet (already allowed by policy)
     * carries {@code flags}: SYN starts a handshake; a mid-stream segment (ACK, SYN+ACK) starts
     * ESTABLISHED, without the assured mark until a reply is seen; FIN starts FIN_WAIT; RST starts
     * CLOSE. A segment no stack sends (no flags, SYN with FIN or RST) is {@link ConntrackState#INVALID}.
     */
    static int initial(final int flags)
    {
        if (isMalformed(flags))
        {
            return INVALID;
        }
        if ((flags & RST) != 0)
        {
            return TCP_CLOSE;
        }
        if ((flags & FIN) != 0)
        {
            return TCP_FIN_WAIT | FIN_ORIGINAL;
        }
        if ((flags & (SYN | ACK)) == SYN)
        {
            return TCP_SYN_SENT;
        }
        return TCP_ESTABLISHED;
    }

    /**
     * The state after a segment with {@code flags} in the given direction: the new state word, or
     * {@link ConntrackState#INVALID} (state unchanged, timer not refreshed) or
     * {@link ConntrackState#REOPEN}. The caller sets {@link ConntrackState#SEEN_REPLY}.
     */
    static int next(final int word, final int flags, final boolean reply)
    {
        if (isMalformed(flags))
        {
            return INVALID;
        }
        final int state = word & STATE_MASK;
        if ((flags & RST) != 0)
        {
            return with(word, TCP_CLOSE);
        }
        if ((flags & SYN) != 0)
        {
            return (flags & ACK) != 0 ? synAck(word, state, reply) : syn(word, state, reply);
        }
        if ((flags & FIN) != 0)
        {
            return fin(word, state, reply);
        }
        return ack(word, state, reply);
    }

    private static boolean isMalformed(final int flags)
    {
        return (flags & (SYN | ACK | FIN | RST)) == 0 || (flags & SYN) != 0 && (flags & (FIN | RST)) != 0;
    }

    private static int syn(final int word, final int state, final boolean reply)
    {
        if (!reply)
        {
            // A retransmitted SYN changes nothing; a SYN on a finished connection starts a new one.
            return state == TCP_TIME_WAIT || state == TCP_CLOSE ? REOPEN : word;
        }
        // Simultaneous open: both sides sent a SYN.
        return state == TCP_SYN_SENT || state == TCP_SYN_RECEIVED ? with(word, TCP_SYN_RECEIVED) : INVALID;
    }

    private static int synAck(final int word, final int state, final boolean reply)
    {
        return switch (state)
        {
            case TCP_SYN_SENT -> reply ? with(word, TCP_SYN_RECEIVED) : INVALID;
            case TCP_SYN_RECEIVED -> word;
            // A retransmitted SYN+ACK whose ACK crossed it.
            case TCP_ESTABLISHED -> reply ? word : INVALID;
            default -> INVALID;
        };
    }

    private static int fin(final int word, final int state, final boolean reply)
    {
        final int mine = reply ? FIN_REPLY : FIN_ORIGINAL;
        return switch (state)
        {
            case TCP_SYN_SENT -> INVALID;
            case TCP_SYN_RECEIVED, TCP_ESTABLISHED -> with(word | mine, TCP_FIN_WAIT);
            case TCP_FIN_WAIT, TCP_CLOSE_WAIT -> (word & mine) != 0 ? word : with(word | mine, TCP_LAST_ACK);
            default -> word;
        };
    }

    private static int ack(final int word, final int state, final boolean reply)
    {
        final int mine = reply ? FIN_REPLY : FIN_ORIGINAL;
        return switch (state)
        {
            // An ACK before the SYN+ACK acknowledges nothing.
            case TCP_SYN_SENT -> INVALID;
            case TCP_SYN_RECEIVED -> reply ? word : with(word, TCP_ESTABLISHED);
            case TCP_FIN_WAIT -> (word & mine) != 0 ? word : with(word, TCP_CLOSE_WAIT);
            case TCP_LAST_ACK -> with(word, TCP_TIME_WAIT);
            default -> word;
        };
    }

    private static int with(final int word, final int state)
    {
        return (word & ~STATE_MASK) | state;
    }
}
