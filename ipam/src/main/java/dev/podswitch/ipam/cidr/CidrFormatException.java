package dev.podswitch.ipam.cidr;

/**
 * Thrown for an IP address or CIDR that cannot be parsed. The message names the input and exactly what is
 * wrong with it, so it can go straight to a user; {@link #reason()} is the part after the input, for callers
 * that name the input in their own words.
 */
public final class CidrFormatException extends IllegalArgumentException
{
    private final String reason;

    public CidrFormatException(final String message)
    {
        this(message, message);
    }

    public CidrFormatException(final String message, final String reason)
    {
        super(message);
        this.reason = reason;
    }

    /** What is wrong, without the input: "octet 300 out of range 0-255". */
    public String reason()
    {
        return reason;
    }
}
