package dev.podswitch.ipam.cidr;

import java.util.Objects;

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
     * Parses strict dotted-quad notation: four decimal octets 0-255. Leading zeros are rejected (as Go's
     * net.ParseIP does) because some tools read "010" as octal 8.
     */
    public static int parse(final String text)
    {
        Objects.requireNonNull(text, "text");
        int address = 0;
        int octetCount = 0;
        int start = 0;
        final int length = text.length();
        while (start <= length)
        {
            int end = text.indexOf('.', start);
            if (end < 0)
            {
                end = length;
            }
            if (octetCount == 4)
            {
                throw invalid(text, "more than four octets");
            }
            address = (address << 8) | parseOctet(text, start, end);
            octetCount++;
            start = end + 1;
        }
        if (octetCount != 4)
        {
            throw invalid(text, "expected four octets, found " + octetCount);
        }
        return address;
    }

    public static String format(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." +
            (address & 0xFF);
    }

    private static int parseOctet(final String text, final int start, final int end)
    {
        if (start == end)
        {
            throw invalid(text, text.isEmpty() ? "empty string" : "empty octet");
        }
        if (end - start > 3)
        {
            throw invalid(text, "octet '" + text.substring(start, end) + "' is not a number 0-255");
        }
        int value = 0;
        for (int i = start; i < end; i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                throw invalid(text, "octet '" + text.substring(start, end) + "' is not a number 0-255");
            }
            value = value * 10 + (c - '0');
        }
        if (end - start > 1 && text.charAt(start) == '0')
        {
            throw invalid(text, "octet '" + text.substring(start, end) + "' has a leading zero");
        }
        if (value > 255)
        {
            throw invalid(text, "octet " + value + " out of range 0-255");
        }
        return value;
    }

    private static CidrFormatException invalid(final String text, final String reason)
    {
        return new CidrFormatException("invalid IPv4 address '" + text + "': " + reason);
    }
}
