package dev.podswitch.dataplane.conntrack;

/**
 * The states a tracked connection can be in, as small codes kept in the low byte of an entry's
 * state word, with flag bits above them. One namespace for all protocols, so that one table maps a
 * state to its timeout ({@link ConntrackTimeouts}) and its name.
 *
 * <pre>
 *  31            11          10            9           8   7         0
 * +----------------+-----------+-------------+-----------+-----------+
 * |     unused     | FIN reply | FIN original| SEEN_REPLY|   state   |
 * +----------------+-----------+-------------+-----------+-----------+
 * </pre>
 */
public final class ConntrackState
{
    public static final int TCP_SYN_SENT = 1;
    public static final int TCP_SYN_RECEIVED = 2;
    public static final int TCP_ESTABLISHED = 3;
    /** One side has sent a FIN that the other has not acknowledged. */
    public static final int TCP_FIN_WAIT = 4;
    /** The first FIN is acknowledged; the other side may still send. */
    public static final int TCP_CLOSE_WAIT = 5;
    /** Both sides have sent a FIN; the last acknowledgment is outstanding. */
    public static final int TCP_LAST_ACK = 6;
    public static final int TCP_TIME_WAIT = 7;
    /** Reset: kept briefly so that stray segments still match. */
    public static final int TCP_CLOSE = 8;
    public static final int UDP_UNREPLIED = 9;
    public static final int UDP_REPLIED = 10;
    public static final int ICMP_UNREPLIED = 11;
    public static final int ICMP_REPLIED = 12;
    public static final int SCTP_COOKIE_WAIT = 13;
    public static final int SCTP_ESTABLISHED = 14;
    public static final int SCTP_SHUTDOWN = 15;
    public static final int SCTP_CLOSED = 16;
    public static final int GENERIC_UNREPLIED = 17;
    public static final int GENERIC_REPLIED = 18;
    public static final int COUNT = 19;

    public static final int STATE_MASK = 0xFF;
    /** A packet has been seen in the reply direction. */
    public static final int SEEN_REPLY = 1 << 8;
    /** TCP: the original direction has sent a FIN. */
    public static final int FIN_ORIGINAL = 1 << 9;
    /** TCP: the reply direction has sent a FIN. */
    public static final int FIN_REPLY = 1 << 10;

    /** Returned by a state machine: the packet does not fit the state, which stays as it was. */
    static final int INVALID = -1;
    /** Returned by a state machine: a new connection reuses a closed one's tuple; drop the old. */
    static final int REOPEN = -2;

    private static final String[] NAMES = {
        "NONE", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
        "CLOSE", "UNREPLIED", "REPLIED", "UNREPLIED", "REPLIED", "COOKIE_WAIT", "ESTABLISHED", "SHUTDOWN",
        "CLOSED", "UNREPLIED", "REPLIED"};

    private ConntrackState()
    {
    }

    public static int code(final int word)
    {
        return word & STATE_MASK;
    }

    /** The state's name as {@code conntrack -L} would print it, e.g. {@code ESTABLISHED}. */
    public static String name(final int word)
    {
        final int code = code(word);
        return code < COUNT ? NAMES[code] : "UNKNOWN(" + code + ")";
    }

    /**
     * Whether the connection has proved itself (a reply was seen and it is not closing), which
     * protects it from eviction by new flows, as Linux's early drop spares ASSURED connections: a
     * flood of new flows must not break established ones.
     */
    public static boolean isAssured(final int word)
    {
        if ((word & SEEN_REPLY) == 0)
        {
            return false;
        }
        final int code = code(word);
        return code == TCP_ESTABLISHED || code == UDP_REPLIED || code == SCTP_ESTABLISHED || code == GENERIC_REPLIED;
    }

    /**
     * UDP, ICMP echo and other protocols have no handshake: the first reply moves the entry to its
     * replied state, and every packet is valid.
     */
    static int nextStateless(final int word, final boolean reply)
    {
        if (!reply)
        {
            return word;
        }
        return switch (code(word))
        {
            case UDP_UNREPLIED -> (word & ~STATE_MASK) | UDP_REPLIED;
            case ICMP_UNREPLIED -> (word & ~STATE_MASK) | ICMP_REPLIED;
            case GENERIC_UNREPLIED -> (word & ~STATE_MASK) | GENERIC_REPLIED;
            default -> word;
        };
    }
}
