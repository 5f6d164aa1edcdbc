package dev.podswitch.scenarios.run;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * One probe that ran: what was expected (null when only observed, e.g. a matrix cell marked
 * {@code -} is never probed, so this is for probes with no expectation), what happened, which
 * answer came back, and the source IP the destination saw (null when the request never arrived).
 */
public record ProbeOutcome(String from, String to, IpProtocol protocol, int port, Boolean expected, boolean observed,
    String answer, String sourceIp, String sourceIpSeen)
{
    public boolean isMismatch()
    {
        return expected != null && expected != observed;
    }

    /** {@code TCP/3306}, {@code ICMP}. */
    public String probeLabel()
    {
        return protocol.probeLabel(port);
    }
}
