package dev.podswitch.dataplane.packet;

/** The IP protocols pod networking probes and policies speak of, with their IANA numbers. */
public enum IpProtocol
{
    ICMP(1),
    TCP(6),
    UDP(17),
    SCTP(132);

    private final int number;

    IpProtocol(final int number)
    {
        this.number = number;
    }

    public int number()
    {
        return number;
    }

    /** How many protocols carry ports: the size of a table indexed by {@link #portedIndex}. */
    public static final int PORTED_COUNT = 3;

    /** Whether this protocol carries ports (everything but ICMP); see {@link #hasPorts(int)}. */
    public boolean hasPorts()
    {
        return hasPorts(number);
    }

    /** How a probe of this protocol is named: {@code TCP/3306}, or {@code ICMP} for one without ports. */
    public String probeLabel(final int port)
    {
        return hasPorts() ? name() + "/" + port : name();
    }

    /**
     * Whether IP protocol {@code number} carries ports (TCP, UDP, SCTP: source and destination
     * port lead their headers), which policy matches on and conntrack keys by. ICMP does not (an
     * echo's identifier stands in for a port where one is needed), nor does any other protocol.
     * Per packet: no allocation.
     */
    public static boolean hasPorts(final int number)
    {
        return portedIndex(number) >= 0;
    }

    /**
     * Where protocol {@code number}'s ports go in a table with one entry per protocol that carries
     * them ({@code 0 .. PORTED_COUNT - 1}), or -1 when it carries none. The one place that says which
     * protocols carry ports: {@link #hasPorts(int)} and every per-protocol port table ask it.
     */
    public static int portedIndex(final int number)
    {
        return switch (number)
        {
            case 6 -> 0;
            case 17 -> 1;
            case 132 -> 2;
            default -> -1;
        };
    }

    /** The names of the protocols that carry ports, as NetworkPolicy and scenario files spell them: TCP, UDP, SCTP. */
    public static java.util.List<String> portedNames()
    {
        return java.util.Arrays.stream(values()).filter(IpProtocol::hasPorts).map(Enum::name).toList();
    }

    /** The protocol for an IANA number, or {@code null} when it is none of ours. */
    public static IpProtocol ofNumber(final int number)
    {
        return switch (number)
        {
            case 1 -> ICMP;
            case 6 -> TCP;
            case 17 -> UDP;
            case 132 -> SCTP;
            default -> null;
        };
    }
}
