package dev.podswitch.scenarios.live.sctp;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.ipam.cidr.Ipv4;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two network namespaces of a test's own, joined by a veth pair: {@code a} at 10.123.0.1/24 and
 * {@code b} at 10.123.0.2/24, nothing else — the only place the SCTP root tests send traffic.
 * Names are {@code pst} + 8 random hex digits + {@code a}/{@code b} (not the lab's {@code psw}
 * prefix, so {@code podswitch down --all} of a concurrent run cannot take them). {@link #close()}
 * deletes both, also after a failed setup.
 */
final class TwoNamespaces implements AutoCloseable
{
    static final String IP_A = "10.123.0.1";
    static final String IP_B = "10.123.0.2";

    final String a;
    final String b;

    TwoNamespaces()
    {
        final String id = "pst" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        a = id + "a";
        b = id + "b";
        try
        {
            IpCommand.ip("netns", "add", a);
            IpCommand.ip("netns", "add", b);
            IpCommand.ip("-n", a, "link", "add", a, "type", "veth", "peer", "name", b, "netns", b);
            IpCommand.ip("-n", a, "addr", "add", IP_A + "/24", "dev", a);
            IpCommand.ip("-n", b, "addr", "add", IP_B + "/24", "dev", b);
            for (final String namespace : new String[] {a, b})
            {
                IpCommand.ip("-n", namespace, "link", "set", "lo", "up");
                IpCommand.ip("-n", namespace, "link", "set", namespace, "up");
            }
        }
        catch (final RuntimeException failed)
        {
            close();
            throw failed;
        }
    }

    static int ip(final String text)
    {
        return Ipv4.parse(text);
    }

    @Override
    public void close()
    {
        for (final String namespace : new String[] {a, b})
        {
            try
            {
                IpCommand.ip("netns", "delete", namespace);
            }
            catch (final RuntimeException notThere)
            {
                // Never made, or already gone.
            }
        }
    }
}
