package dev.podswitch.dataplane.port.endpoint;

import dev.podswitch.dataplane.packet.IcmpFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.packet.SctpFlyweight;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.packet.UdpFlyweight;

import java.lang.foreign.MemorySegment;

/**
 * The protocol half of a {@link VirtualEndpoint}: what the server side answers to a request and
 * what the client side sends when an answer comes back. Split out so the endpoint's dispatch
 * reads as a table of cases and the packet details live here.
 */
final class ProbeReplies
{
    private final VirtualEndpoint endpoint;
    private final ProbeRegistry probes;
    private final Ipv4Flyweight quotedIp = new Ipv4Flyweight();

    ProbeReplies(final VirtualEndpoint endpoint, final ProbeRegistry probes)
    {
        this.endpoint = endpoint;
        this.probes = probes;
    }

    /** The server's initial sequence number: a hash of the connection, so no state is kept. */
    private static int serverIsn(final PacketMeta meta)
    {
        return (meta.ipSource * 31 + meta.sourcePort) * 0x85EBCA6B + meta.destinationPort;
    }

    private PacketWriter.Addresses back(final PacketMeta meta)
    {
        return endpoint.toward(meta.ipSource);
    }

    void answerSyn(final PacketMeta meta, final int sequence, final boolean serving)
    {
        final PacketWriter writer = endpoint.writer();
        final int flags = serving ? TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK : TcpFlyweight.FLAG_RST | TcpFlyweight.FLAG_ACK;
        endpoint.send(writer.tcp(back(meta), meta.destinationPort, meta.sourcePort, serving ? serverIsn(meta) : 0,
            sequence + 1, flags));
    }

    /** The client closes: its FIN is answered with ours, acknowledging it. */
    void answerFin(final PacketMeta meta, final int sequence, final int acknowledgment)
    {
        endpoint.send(endpoint.writer().tcp(back(meta), meta.destinationPort, meta.sourcePort, acknowledgment,
            sequence + 1, TcpFlyweight.FLAG_FIN | TcpFlyweight.FLAG_ACK));
    }

    void onTcpAtClient(final Probe probe, final PacketMeta meta, final int sequence, final int acknowledgment,
        final int flags)
    {
        final PacketWriter writer = endpoint.writer();
        final int ourIsn = VirtualEndpoint.isn(probe.sourcePort());
        if ((flags & TcpFlyweight.FLAG_RST) != 0)
        {
            probe.answer(Probe.Answer.REFUSED);
        }
        else if ((flags & (TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK)) == (TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK)
            && acknowledgment == ourIsn + 1)
        {
            probe.answer(Probe.Answer.OPEN);
            // Complete the handshake, then close it at once, as a connect-and-close probe does.
            endpoint.send(writer.tcp(back(meta), probe.sourcePort(), probe.destinationPort(), ourIsn + 1, sequence + 1,
                TcpFlyweight.FLAG_ACK));
            endpoint.send(writer.tcp(back(meta), probe.sourcePort(), probe.destinationPort(), ourIsn + 1, sequence + 1,
                TcpFlyweight.FLAG_FIN | TcpFlyweight.FLAG_ACK));
        }
        else if ((flags & TcpFlyweight.FLAG_FIN) != 0)
        {
            endpoint.send(writer.tcp(back(meta), probe.sourcePort(), probe.destinationPort(), acknowledgment,
                sequence + 1, TcpFlyweight.FLAG_ACK));
        }
    }

    void answerUdp(final MemorySegment frame, final PacketMeta meta, final boolean serving)
    {
        final PacketWriter writer = endpoint.writer();
        if (serving)
        {
            final int payloadLength = meta.l4Length - UdpFlyweight.HEADER_LENGTH;
            endpoint.send(writer.udp(back(meta), meta.destinationPort, meta.sourcePort, frame,
                meta.l4Offset + UdpFlyweight.HEADER_LENGTH, payloadLength));
        }
        else
        {
            quotedIp.wrap(frame, meta.l3Offset);
            endpoint.send(writer.icmpUnreachable(back(meta), IcmpFlyweight.CODE_PORT_UNREACHABLE, frame, meta.l3Offset,
                quotedIp.headerLength(), meta.ipTotalLength));
        }
    }

    void answerEcho(final MemorySegment frame, final PacketMeta meta)
    {
        final int dataLength = meta.l4Length - IcmpFlyweight.HEADER_LENGTH;
        final int sequence = PacketBytes.getU16(frame, meta.l4Offset + IcmpFlyweight.SEQUENCE_OFFSET);
        endpoint.send(endpoint.writer().icmpEcho(back(meta), IcmpFlyweight.TYPE_ECHO_REPLY, meta.icmpIdentifier, sequence,
            frame, meta.l4Offset + IcmpFlyweight.HEADER_LENGTH, dataLength));
    }

    /** An ICMP error quoting one of our probes: the port it was sent to refuses. */
    void onUnreachable(final MemorySegment frame, final PacketMeta meta)
    {
        final long quotedOffset = meta.l4Offset + IcmpFlyweight.HEADER_LENGTH;
        if (meta.l4Length < IcmpFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + 4)
        {
            return;
        }
        quotedIp.wrap(frame, quotedOffset);
        final int quotedHeaderLength = quotedIp.headerLength();
        if (quotedHeaderLength < Ipv4Flyweight.MIN_HEADER_LENGTH
            || meta.l4Length < IcmpFlyweight.HEADER_LENGTH + quotedHeaderLength + 4)
        {
            return;
        }
        final IpProtocol protocol = IpProtocol.ofNumber(quotedIp.protocol());
        final int sourcePort = PacketBytes.getU16(frame, quotedOffset + quotedHeaderLength);
        final Probe probe = protocol == null ? null : probes.find(protocol, sourcePort);
        if (probe != null && probe.sourceIp() == endpoint.ip() && quotedIp.sourceIp() == endpoint.ip())
        {
            probe.answer(Probe.Answer.REFUSED);
        }
    }

    void answerInit(final PacketMeta meta, final int peerInitiateTag, final boolean serving)
    {
        final PacketWriter writer = endpoint.writer();
        if (serving)
        {
            endpoint.send(writer.sctpInit(back(meta), meta.destinationPort, meta.sourcePort, peerInitiateTag,
                SctpFlyweight.CHUNK_INIT_ACK, serverIsn(meta)));
        }
        else
        {
            // RFC 9260 §8.4: an ABORT answering an INIT carries the INIT's initiate tag, T bit clear.
            endpoint.send(writer.sctpAbort(back(meta), meta.destinationPort, meta.sourcePort, peerInitiateTag));
        }
    }

    void onSctpAtClient(final Probe probe, final PacketMeta meta, final int verificationTag, final int chunkType,
        final int peerInitiateTag)
    {
        if (verificationTag != probe.verificationTag())
        {
            return;
        }
        if (chunkType == SctpFlyweight.CHUNK_ABORT)
        {
            probe.answer(Probe.Answer.REFUSED);
        }
        else if (chunkType == SctpFlyweight.CHUNK_INIT_ACK)
        {
            probe.answer(Probe.Answer.OPEN);
            // Tear the half-open association down, as a probe that only wanted the handshake does.
            endpoint.send(endpoint.writer().sctpAbort(back(meta), probe.sourcePort(), probe.destinationPort(),
                peerInitiateTag));
        }
    }
}
