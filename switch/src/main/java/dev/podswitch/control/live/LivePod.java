package dev.podswitch.control.live;

import dev.podswitch.dataplane.port.tap.TapPort;
import dev.podswitch.ipam.cidr.Ipv4;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * A live pod: a network namespace with a kernel TCP/IP stack whose only interface is the other
 * end of a TAP device the switch holds open. The interface keeps the TAP's {@code psw…} name (so
 * every link the lab makes carries the lab's prefix); it has the MAC {@code 0a:58:} + IP (ClusterDataplane.macFor) that the
 * switch's anti-spoofing expects, the pod IP in its node's pod CIDR, and a default route via the
 * node gateway, whose ARP the switch answers. Immutable; {@link LiveLab} creates and removes it.
 */
public record LivePod(String name, String nodeName, String namespace, String interfaceName, int ip, int prefixLength,
    int gatewayIp, long mac, TapPort port)
{
    public String ipText()
    {
        return Ipv4.format(ip);
    }

    /** Runs a program inside the pod ({@code ip netns exec}); the caller judges the exit status. */
    public IpCommand.Result exec(final String... programAndArgs)
    {
        return IpCommand.execIn(namespace, programAndArgs);
    }

    /** Runs Java code on a thread inside the pod's namespace (a socket made there stays there). */
    public <T> T callIn(final Callable<T> task) throws Exception
    {
        return NetworkNamespaces.callIn(namespace, task);
    }

    /** {@code 0a:58:0a:f4:01:02} for 10.244.1.2: the MAC the switch binds to the pod's IP. */
    public static String macText(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            text.append(String.format(Locale.ROOT, "%02x", (mac >>> shift) & 0xFF));
            if (shift > 0)
            {
                text.append(':');
            }
        }
        return text.toString();
    }
}
