package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.PacketMeta;

/**
 * Parsed packets for conntrack tests, written straight into {@link PacketMeta} as the parser would
 * leave them (the parser itself is tested on real bytes in the packet package). Each method resets
 * every field it does not set, so one meta can be reused without stale values.
 */
final class Packets
{
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final int SCTP = 132;
    static final int GRE = 47;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    static final int ECHO_REPLY = 0;
    static final int ECHO_REQUEST = 8;
    static final int UNREACHABLE = 3;
    static final int TIME_EXCEEDED = 11;

    static final int CHUNK_DATA = 0;
    static final int CHUNK_INIT = 1;
    static final int CHUNK_INIT_ACK = 2;
    static final int CHUNK_ABORT = 6;
    static final int CHUNK_SHUTDOWN = 7;
    static final int CHUNK_SHUTDOWN_ACK = 8;
    static final int CHUNK_COOKIE_ECHO = 10;
    static final int CHUNK_COOKIE_ACK = 11;
    static final int CHUNK_SHUTDOWN_COMPLETE = 14;

    static final int POD_A = ip(10, 244, 0, 2);
    static final int POD_B = ip(10, 244, 1, 7);
    static final int POD_C = ip(10, 244, 2, 9);
    static final int ROUTER = ip(10, 244, 1, 1);

    private Packets()
    {
    }

    static int ip(final int a, final int b, final int c, final int d)
    {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    static PacketMeta ipv4(final PacketMeta meta, final int protocol, final int source, final int destination)
    {
        meta.etherType = EthernetFlyweight.ETHER_TYPE_IPV4;
        meta.ipProtocol = protocol;
        meta.ipSource = source;
        meta.ipDestination = destination;
        meta.sourcePort = 0;
        meta.destinationPort = 0;
        meta.tcpFlags = 0;
        meta.icmpType = 0;
        meta.icmpCode = 0;
        meta.icmpIdentifier = 0;
        meta.sctpChunkType = 0;
        meta.icmpErrorHasQuote = false;
        meta.quotedSource = 0;
        meta.quotedDestination = 0;
        meta.quotedProtocol = 0;
        meta.quotedSourcePort = 0;
        meta.quotedDestinationPort = 0;
        meta.quotedIcmpType = 0;
        return meta;
    }

    static PacketMeta tcp(final PacketMeta meta, final int source, final int destination, final int sourcePort,
        final int destinationPort, final int flags)
    {
        ipv4(meta, TCP, source, destination);
        meta.sourcePort = sourcePort;
        meta.destinationPort = destinationPort;
        meta.tcpFlags = flags;
        return meta;
    }

    static PacketMeta tcp(final int source, final int destination, final int sourcePort, final int destinationPort,
        final int flags)
    {
        return tcp(new PacketMeta(), source, destination, sourcePort, destinationPort, flags);
    }

    static PacketMeta udp(final PacketMeta meta, final int source, final int destination, final int sourcePort,
        final int destinationPort)
    {
        ipv4(meta, UDP, source, destination);
        meta.sourcePort = sourcePort;
        meta.destinationPort = destinationPort;
        return meta;
    }

    static PacketMeta udp(final int source, final int destination, final int sourcePort, final int destinationPort)
    {
        return udp(new PacketMeta(), source, destination, sourcePort, destinationPort);
    }

    static PacketMeta sctp(final PacketMeta meta, final int source, final int destination, final int sourcePort,
        final int destinationPort, final int chunkType)
    {
        ipv4(meta, SCTP, source, destination);
        meta.sourcePort = sourcePort;
        meta.destinationPort = destinationPort;
        meta.sctpChunkType = chunkType;
        return meta;
    }

    static PacketMeta sctp(final int source, final int destination, final int sourcePort, final int destinationPort,
        final int chunkType)
    {
        return sctp(new PacketMeta(), source, destination, sourcePort, destinationPort, chunkType);
    }

    static PacketMeta echo(final PacketMeta meta, final int type, final int source, final int destination,
        final int identifier)
    {
        ipv4(meta, ICMP, source, destination);
        meta.icmpType = type;
        meta.icmpIdentifier = identifier;
        return meta;
    }

    static PacketMeta echo(final int type, final int source, final int destination, final int identifier)
    {
        return echo(new PacketMeta(), type, source, destination, identifier);
    }

    /** An ICMP error from {@code source} to {@code destination} quoting the given packet. */
    static PacketMeta icmpError(final PacketMeta meta, final int type, final int source, final int destination,
        final int quotedProtocol, final int quotedSource, final int quotedDestination, final int quotedSourcePort,
        final int quotedDestinationPort, final int quotedIcmpType)
    {
        ipv4(meta, ICMP, source, destination);
        meta.icmpType = type;
        meta.icmpErrorHasQuote = true;
        meta.quotedProtocol = quotedProtocol;
        meta.quotedSource = quotedSource;
        meta.quotedDestination = quotedDestination;
        meta.quotedSourcePort = quotedSourcePort;
        meta.quotedDestinationPort = quotedDestinationPort;
        meta.quotedIcmpType = quotedIcmpType;
        return meta;
    }

    static PacketMeta icmpError(final int type, final int source, final int destination, final int quotedProtocol,
        final int quotedSource, final int quotedDestination, final int quotedSourcePort,
        final int quotedDestinationPort)
    {
        return icmpError(new PacketMeta(), type, source, destination, quotedProtocol, quotedSource, quotedDestination,
            quotedSourcePort, quotedDestinationPort, 0);
    }

    static PacketMeta other(final int protocol, final int source, final int destination)
    {
        return ipv4(new PacketMeta(), protocol, source, destination);
    }
}
