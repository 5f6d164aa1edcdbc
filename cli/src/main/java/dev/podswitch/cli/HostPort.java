package dev.podswitch.cli;

import java.net.InetSocketAddress;

/** A {@code HOST:PORT} option (an IPv6 host in brackets: {@code [::1]:9464}), or null when not given. */
final class HostPort
{
    private HostPort()
    {
    }

    /** @throws IllegalArgumentException naming {@code option} when {@code value} is no HOST:PORT. */
    static InetSocketAddress parse(final String option, final String value)
    {
        if (value == null)
        {
            return null;
        }
        final int colon = value.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException(option + " takes HOST:PORT, got " + value);
        }
        try
        {
            return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
        }
        catch (final NumberFormatException notAPort)
        {
            throw new IllegalArgumentException(option + " takes HOST:PORT, got " + value, notAPort);
        }
        catch (final IllegalArgumentException outOfRange)
        {
            throw new IllegalArgumentException(option + " " + value + ": " + outOfRange.getMessage(), outOfRange);
        }
    }
}
