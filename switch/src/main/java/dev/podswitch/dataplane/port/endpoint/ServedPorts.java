package dev.podswitch.dataplane.port.endpoint;

import dev.podswitch.dataplane.packet.IpProtocol;

import java.util.Arrays;

/** The (protocol, port) pairs an endpoint listens on, as a sorted array searched without boxing. */
public final class ServedPorts
{
    private final int[] keys;

    private ServedPorts(final int[] keys)
    {
        this.keys = keys;
    }

    public static ServedPorts of(final int... protocolAndPortKeys)
    {
        final int[] sorted = protocolAndPortKeys.clone();
        Arrays.sort(sorted);
        return new ServedPorts(sorted);
    }

    public static int key(final IpProtocol protocol, final int port)
    {
        return (protocol.number() << 16) | port;
    }

    public boolean serves(final IpProtocol protocol, final int port)
    {
        return Arrays.binarySearch(keys, key(protocol, port)) >= 0;
    }

    public int size()
    {
        return keys.length;
    }
}
