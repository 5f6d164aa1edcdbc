package dev.podswitch.scenarios.live.sctp;

import java.util.Locale;

/**
 * What one live SCTP probe saw: the answer, and the source IP the destination saw when it said so
 * (the State Cookie of a userspace responder's INIT ACK, the line a kernel listener writes); null
 * when the answer carries none (an ABORT, nothing, a cookie that is not ours).
 */
public record SctpProbeResult(Answer answer, String sourceIpSeen)
{
    /** The answers of the emulated mode's probes. */
    public enum Answer
    {
        /** INIT ACK (kernel: the association came up). */
        OPEN,
        /** ABORT (kernel: ECONNREFUSED). */
        REFUSED,
        /** Nothing before the timeout. */
        NONE;

        /** {@code open}, {@code refused}, {@code none}: as the reports write it. */
        public String label()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static SctpProbeResult none()
    {
        return new SctpProbeResult(Answer.NONE, null);
    }
}
