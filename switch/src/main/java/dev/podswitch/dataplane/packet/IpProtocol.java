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

    /** Whether this protocol carries ports (everything but ICMP). */
    public boolean hasPorts()
    {
        return this != ICMP;
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
