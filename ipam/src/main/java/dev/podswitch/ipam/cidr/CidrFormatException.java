package dev.podswitch.ipam.cidr;

/**
 * Thrown for an IPv4 address or CIDR that cannot be parsed. The message names the input and exactly what is
 * wrong with it, so it can go straight to a user.
 */
public final class CidrFormatException extends IllegalArgumentException
{
    public CidrFormatException(final String message)
    {
        super(message);
    }
}
