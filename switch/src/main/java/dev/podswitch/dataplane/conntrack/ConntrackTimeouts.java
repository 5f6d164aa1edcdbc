package dev.podswitch.dataplane.conntrack;

import java.time.Duration;

/**
 * How long an idle connection stays tracked, per protocol state. The defaults are Linux
 * nf_conntrack's ({@code net.netfilter.nf_conntrack_*_timeout*}), so a flow lives in the emulated
 * pod network as long as it would on a node running kube-proxy. Each packet accepted by the state
 * machine restarts the timer with the timeout of the state it leaves the connection in.
 *
 * <p>Two deliberate simplifications: a UDP flow gets {@link #udpReplied} as soon as a reply is
 * seen (Linux waits a further 2 s before treating it as a stream), and SCTP has one shutdown state.
 */
public record ConntrackTimeouts(
    Duration tcpSynSent,
    Duration tcpSynReceived,
    Duration tcpEstablished,
    Duration tcpFinWait,
    Duration tcpCloseWait,
    Duration tcpLastAck,
    Duration tcpTimeWait,
    Duration tcpClose,
    Duration udpUnreplied,
    Duration udpReplied,
    Duration icmp,
    Duration sctpCookieWait,
    Duration sctpEstablished,
    Duration sctpShutdown,
    Duration sctpClosed,
    Duration generic)
{
    /** Far below the ~292 years where now + timeout in nanoseconds would overflow. */
    private static final Duration MAX = Duration.ofDays(365);

    /**
     * Linux defaults. SCTP established is 210 s, Linux's value since 6.3 (heartbeat interval ×
     * path retransmissions + maximum RTO; heartbeats keep a live association refreshed); older
     * kernels used 5 days.
     */
    public static final ConntrackTimeouts DEFAULTS = new ConntrackTimeouts(
        Duration.ofSeconds(120),
        Duration.ofSeconds(60),
        Duration.ofDays(5),
        Duration.ofSeconds(120),
        Duration.ofSeconds(60),
        Duration.ofSeconds(30),
        Duration.ofSeconds(120),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(120),
        Duration.ofSeconds(30),
        Duration.ofSeconds(3),
        Duration.ofSeconds(210),
        Duration.ofSeconds(3),
        Duration.ofSeconds(10),
        Duration.ofSeconds(600));

    public ConntrackTimeouts
    {
        final Duration[] all = {tcpSynSent, tcpSynReceived, tcpEstablished, tcpFinWait, tcpCloseWait, tcpLastAck,
            tcpTimeWait, tcpClose, udpUnreplied, udpReplied, icmp, sctpCookieWait, sctpEstablished, sctpShutdown,
            sctpClosed, generic};
        for (final Duration timeout : all)
        {
            if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX) > 0)
            {
                throw new IllegalArgumentException("conntrack timeout=" + timeout + " must lie in (0, " + MAX
                    + "]; set it in the ConntrackTimeouts given to ConnectionTracker");
            }
        }
    }

    /** The timeout of each {@link ConntrackState} code, in nanoseconds, for the tracker's table. */
    long[] timeoutNsByState()
    {
        final long[] byState = new long[ConntrackState.COUNT];
        byState[ConntrackState.TCP_SYN_SENT] = tcpSynSent.toNanos();
        byState[ConntrackState.TCP_SYN_RECEIVED] = tcpSynReceived.toNanos();
        byState[ConntrackState.TCP_ESTABLISHED] = tcpEstablished.toNanos();
        byState[ConntrackState.TCP_FIN_WAIT] = tcpFinWait.toNanos();
        byState[ConntrackState.TCP_CLOSE_WAIT] = tcpCloseWait.toNanos();
        byState[ConntrackState.TCP_LAST_ACK] = tcpLastAck.toNanos();
        byState[ConntrackState.TCP_TIME_WAIT] = tcpTimeWait.toNanos();
        byState[ConntrackState.TCP_CLOSE] = tcpClose.toNanos();
        byState[ConntrackState.UDP_UNREPLIED] = udpUnreplied.toNanos();
        byState[ConntrackState.UDP_REPLIED] = udpReplied.toNanos();
        byState[ConntrackState.ICMP_UNREPLIED] = icmp.toNanos();
        byState[ConntrackState.ICMP_REPLIED] = icmp.toNanos();
        byState[ConntrackState.SCTP_COOKIE_WAIT] = sctpCookieWait.toNanos();
        byState[ConntrackState.SCTP_ESTABLISHED] = sctpEstablished.toNanos();
        byState[ConntrackState.SCTP_SHUTDOWN] = sctpShutdown.toNanos();
        byState[ConntrackState.SCTP_CLOSED] = sctpClosed.toNanos();
        byState[ConntrackState.GENERIC_UNREPLIED] = generic.toNanos();
        byState[ConntrackState.GENERIC_REPLIED] = generic.toNanos();
        return byState;
    }
}
