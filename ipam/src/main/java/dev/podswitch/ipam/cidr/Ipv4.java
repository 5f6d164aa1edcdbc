package dev.podswitch.ipam.cidr;

import inet.ipaddr.IPAddress;

/**
 * IPv4 addresses as {@code int}s, read as unsigned 32-bit values (10.0.0.1 is 0x0A000001). An {@code int}
 * instead of an object keeps allocation tables flat and the arithmetic obvious; compare with
 * {@link Integer#compareUnsigned(int, int)}, widen with {@link Integer#toUnsignedLong(int)}.
 */
public final class Ipv4
{
    private Ipv4()
    {
    }

    /**
     * Parses strict dotted-quad notation: four decimal octets 0-255, no leading zeros (as Go's net.ParseIP,
     * because some tools read "010" as octal 8). The rules and messages are {@link IpText#address}'s.
     */
    public static int parse(final String text)
    {
        final IPAddress address = IpText.address(text);
        if (!address.isIPv4())
        {
            final String reason = "an IPv6 address, where podswitch takes IPv4 only";
            throw new CidrFormatException("invalid IPv4 address '" + text + "': " + reason, reason);
        }
        return address.toIPv4().intValue();
    }

    public static String format(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." +
            (address & 0xFF);
    }
}
