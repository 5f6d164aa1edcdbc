package dev.podswitch.dataplane.port.endpoint;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;

/**
 * One connectivity probe: real traffic from one endpoint to another (a TCP handshake, a UDP
 * request, an SCTP INIT, an ICMP echo) and what became of it. It records both halves of the
 * verdict: whether the request reached the destination — and with which source IP, so the test
 * of "no NAT" is direct — and which answer came back to the sender.
 *
 * <p>Threads: created and read by the thread driving the cluster; while it is in flight, the
 * answer is written only by the source endpoint's node agent and the arrival only by the
 * destination's, which may be two threads at once — they write disjoint fields, so no lock is
 * needed. The driver reads them after {@code runUntilIdle} has stopped every agent (see
 * {@link ProbeRegistry}).
 */
public final class Probe
{
    /** What came back to the sender. */
    public enum Answer
    {
        /** The handshake or the reply: something serves the port. */
        OPEN,
        /** A refusal (TCP RST, ICMP port unreachable, SCTP ABORT): reachable, nothing listens. */
        REFUSED,
        /** Nothing: the switch dropped the request or the answer. */
        NONE
    }

    private final IpProtocol protocol;
    private final String sourceName;
    private final int sourceIp;
    private final String destinationName;
    private final int destinationIp;
    private final int destinationPort;
    private int sourcePort;
    private Answer answer = Answer.NONE;
    private boolean arrived;
    private int sourceIpSeenAtDestination;
    private int verificationTag;

    public Probe(final IpProtocol protocol, final String sourceName, final int sourceIp, final String destinationName,
        final int destinationIp, final int destinationPort)
    {
        this.protocol = protocol;
        this.sourceName = sourceName;
        this.sourceIp = sourceIp;
        this.destinationName = destinationName;
        this.destinationIp = destinationIp;
        this.destinationPort = destinationPort;
    }

    public IpProtocol protocol()
    {
        return protocol;
    }

    public String sourceName()
    {
        return sourceName;
    }

    public int sourceIp()
    {
        return sourceIp;
    }

    public String destinationName()
    {
        return destinationName;
    }

    public int destinationIp()
    {
        return destinationIp;
    }

    /** The destination port; for ICMP, 0. */
    public int destinationPort()
    {
        return destinationPort;
    }

    /** The source port (or ICMP echo identifier) that tells this probe's packets apart. */
    public int sourcePort()
    {
        return sourcePort;
    }

    void sourcePort(final int sourcePort)
    {
        this.sourcePort = sourcePort;
    }

    int verificationTag()
    {
        return verificationTag;
    }

    void verificationTag(final int verificationTag)
    {
        this.verificationTag = verificationTag;
    }

    public Answer answer()
    {
        return answer;
    }

    void answer(final Answer answer)
    {
        if (this.answer == Answer.NONE)
        {
            this.answer = answer;
        }
    }

    /** Whether the request reached its destination endpoint. */
    public boolean arrived()
    {
        return arrived;
    }

    /** The source IP the destination saw; meaningful when {@link #arrived()}. */
    public int sourceIpSeenAtDestination()
    {
        return sourceIpSeenAtDestination;
    }

    void arrivedWithSource(final int seenSourceIp)
    {
        if (!arrived)
        {
            arrived = true;
            sourceIpSeenAtDestination = seenSourceIp;
        }
    }

    /** Allowed: the request arrived with the sender's own IP (no NAT) and an answer came back. */
    public boolean connected()
    {
        return arrived && sourceIpSeenAtDestination == sourceIp && answer != Answer.NONE;
    }

    @Override
    public String toString()
    {
        return protocol + " " + sourceName + " (" + PacketBytes.ipToString(sourceIp) + ":" + sourcePort + ") -> "
            + destinationName + " (" + PacketBytes.ipToString(destinationIp) + ":" + destinationPort + "): " + answer
            + (arrived ? ", seen from " + PacketBytes.ipToString(sourceIpSeenAtDestination) : ", never arrived");
    }
}
