package dev.podswitch.bench.flood;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * How the flooding pod opens its new flows, each a distinct 5-tuple to the flood target, and what
 * the target does with them — which decides what the flood leaves in the connection tables:
 * <ul>
 *   <li>{@link #UDP_ANSWERED}: UDP to ports the target serves; it echoes each datagram, so every
 *   flood flow is answered and becomes <em>assured</em> (UDP replied, 120 s), which eviction spares
 *   — the worst case for a shared table;</li>
 *   <li>{@link #UDP_REFUSED}: UDP to ports nobody serves; the target answers ICMP port unreachable
 *   (a related packet), so the flows stay unreplied (30 s), evictable;</li>
 *   <li>{@link #TCP_SYN}: a SYN flood to served ports; SYN-ACKs come back and are never
 *   acknowledged, so the flows stay half open (SYN received, 60 s), evictable.</li>
 * </ul>
 * {@link #NONE} is the baseline: the same traffic of the other pods, no flood.
 */
enum FloodKind
{
    NONE("none", null, 0),
    UDP_ANSWERED("udp-answered", IpProtocol.UDP, FloodKind.SERVED_FIRST_PORT),
    UDP_REFUSED("udp-refused", IpProtocol.UDP, FloodKind.UNSERVED_FIRST_PORT),
    TCP_SYN("tcp-syn", IpProtocol.TCP, FloodKind.SERVED_FIRST_PORT);

    /** The target serves UDP and TCP on [SERVED_FIRST_PORT, SERVED_FIRST_PORT + DESTINATION_PORTS). */
    static final int SERVED_FIRST_PORT = 10_000;
    static final int UNSERVED_FIRST_PORT = 20_000;
    static final int DESTINATION_PORTS = 512;

    private final String label;
    private final IpProtocol protocol;
    private final int firstDestinationPort;

    FloodKind(final String label, final IpProtocol protocol, final int firstDestinationPort)
    {
        this.label = label;
        this.protocol = protocol;
        this.firstDestinationPort = firstDestinationPort;
    }

    String label()
    {
        return label;
    }

    IpProtocol protocol()
    {
        return protocol;
    }

    int firstDestinationPort()
    {
        return firstDestinationPort;
    }

    static FloodKind ofLabel(final String label)
    {
        for (final FloodKind kind : values())
        {
            if (kind.label.equals(label))
            {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown flood kind " + label + "; use none, udp-answered, udp-refused or "
            + "tcp-syn");
    }
}
