package dev.podswitch.scenarios.live.sctp;

/**
 * How long a live SCTP probe waits, given by the caller so SCTP keeps the TCP and UDP probes'
 * timeouts: the INIT goes again every {@code resendMs} (a loaded machine may lose one; the kernel
 * stack would resend after RTO.Initial, 1 s by RFC 9260) until {@code totalMs} have passed; a
 * kernel association, once up, waits up to {@code answerMs} for the listener's line.
 */
public record ProbeTiming(int resendMs, int totalMs, int answerMs)
{
}
