package dev.podswitch.dataplane.port.endpoint;

import dev.podswitch.dataplane.packet.ArpFlyweight;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.IcmpFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.packet.SctpFlyweight;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.port.FrameSink;

import java.lang.foreign.MemorySegment;

/**
 * An emulated pod (or external host): the tiny network stack at the far end of a memory port.
 * It answers ARP replies for its gateway, ICMP echo, TCP (SYN → SYN-ACK on served ports, RST
 * otherwise, and a full FIN close), UDP (an echo on served ports, ICMP port unreachable
 * otherwise) and SCTP (INIT → INIT ACK, or ABORT), and it originates {@link Probe}s of each kind.
 * Both sides record into the probe what they saw, so a probe knows whether its request arrived
 * with the sender's own IP and which answer came back.
 *
 * <p>The TCP server is stateless — its initial sequence number is a hash of the connection, like
 * a SYN cookie — so thousands of probes cost no per-connection memory. Runs on the thread that
 * drives its node (frames arrive through {@link #onFrame}) and the thread that starts probes; with
 * node threads these take turns, handed over by the cluster's agent gate, never at once. It
 * builds every frame in one scratch buffer and allocates nothing per frame.
 */
public final class VirtualEndpoint implements FrameSink
{
    private final String name;
    private final long mac;
    private final int ip;
    private final int gatewayIp;
    private final ServedPorts served;
    private final ProbeRegistry probes;
    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();
    private final PacketWriter writer;
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final SctpFlyweight sctp = new SctpFlyweight();
    private final ProbeReplies replies;
    private final PacketWriter.Addresses addresses = new PacketWriter.Addresses();
    private EndpointLink link;
    private long gatewayMac;
    private long framesIgnored;

    public VirtualEndpoint(final String name, final long mac, final int ip, final int gatewayIp, final ServedPorts served,
        final ProbeRegistry probes, final int frameCapacity)
    {
        this.name = name;
        this.mac = mac;
        this.ip = ip;
        this.gatewayIp = gatewayIp;
        this.served = served;
        this.probes = probes;
        this.writer = new PacketWriter(frameCapacity);
        this.replies = new ProbeReplies(this, probes);
    }

    public String name()
    {
        return name;
    }

    public long mac()
    {
        return mac;
    }

    public int ip()
    {
        return ip;
    }

    public void link(final EndpointLink link)
    {
        this.link = link;
    }

    /** Sends an ARP request for the gateway; the reply arrives through the switch. */
    public void resolveGateway()
    {
        send(writer.arpRequest(mac, ip, gatewayIp));
    }

    public boolean isGatewayResolved()
    {
        return gatewayMac != 0;
    }

    public long framesIgnored()
    {
        return framesIgnored;
    }

    /**
     * Starts a probe: registers it (which assigns its source port) and sends its first packet.
     *
     * @return false when it could not start (gateway unresolved, registry or switch full).
     */
    public boolean start(final Probe probe)
    {
        if (gatewayMac == 0 || !probes.register(probe))
        {
            return false;
        }
        final PacketWriter.Addresses to = toward(probe.destinationIp());
        final int sourcePort = probe.sourcePort();
        final int length = switch (probe.protocol())
        {
            case TCP -> writer.tcp(to, sourcePort, probe.destinationPort(), isn(sourcePort), 0, TcpFlyweight.FLAG_SYN);
            case UDP -> writer.udp(to, sourcePort, probe.destinationPort(), writer.scratch(), 0, 0);
            case ICMP -> writer.icmpEcho(to, IcmpFlyweight.TYPE_ECHO_REQUEST, sourcePort, 1, writer.scratch(), 0, 0);
            case SCTP ->
            {
                probe.verificationTag(isn(sourcePort));
                yield writer.sctpInit(to, sourcePort, probe.destinationPort(), 0, SctpFlyweight.CHUNK_INIT,
                    probe.verificationTag());
            }
        };
        return send(length);
    }

    /** A client's initial sequence number (and SCTP initiate tag): derived from its source port. */
    static int isn(final int sourcePort)
    {
        return sourcePort * 0x9E3779B1;
    }

    PacketWriter.Addresses toward(final int destinationIp)
    {
        return addresses.set(mac, ip, gatewayMac, destinationIp);
    }

    PacketWriter writer()
    {
        return writer;
    }

    boolean send(final int length)
    {
        final EndpointLink target = link;
        return target != null && target.send(writer.scratch(), 0, length);
    }

    @Override
    public void onFrame(final MemorySegment frame, final long offset, final int length)
    {
        if (parser.parse(frame, offset, length, meta) != null || meta.destinationMac != mac)
        {
            framesIgnored++;
            return;
        }
        if (meta.isArp())
        {
            if (meta.arpOperation == ArpFlyweight.OPERATION_REPLY && meta.arpSenderIp == gatewayIp)
            {
                gatewayMac = meta.arpSenderMac;
            }
            return;
        }
        if (meta.ipDestination != ip)
        {
            framesIgnored++;
            return;
        }
        final IpProtocol protocol = IpProtocol.ofNumber(meta.ipProtocol);
        if (protocol == null)
        {
            framesIgnored++;
            return;
        }
        switch (protocol)
        {
            case TCP -> onTcp(frame);
            case UDP -> onUdp(frame);
            case ICMP -> onIcmp(frame);
            case SCTP -> onSctp(frame);
        }
    }

    /** The probe this packet answers, if we started it: it comes back to one of our source ports. */
    private Probe ownProbe(final IpProtocol protocol, final int port)
    {
        final Probe probe = probes.find(protocol, port);
        return probe != null && probe.sourceIp() == ip ? probe : null;
    }

    /** Records the arrival of a request at this endpoint, if it is a probe aimed at us. */
    private void arrived(final IpProtocol protocol, final int sourcePort)
    {
        final Probe probe = probes.find(protocol, sourcePort);
        if (probe != null && probe.destinationIp() == ip)
        {
            probe.arrivedWithSource(meta.ipSource);
        }
    }

    private void onTcp(final MemorySegment frame)
    {
        tcp.wrap(frame, meta.l4Offset);
        final int flags = meta.tcpFlags;
        final Probe own = ownProbe(IpProtocol.TCP, meta.destinationPort);
        if (own != null)
        {
            replies.onTcpAtClient(own, meta, tcp.sequence(), tcp.acknowledgment(), flags);
            return;
        }
        if ((flags & TcpFlyweight.FLAG_SYN) != 0 && (flags & TcpFlyweight.FLAG_ACK) == 0)
        {
            arrived(IpProtocol.TCP, meta.sourcePort);
            replies.answerSyn(meta, tcp.sequence(), served.serves(IpProtocol.TCP, meta.destinationPort));
        }
        else if ((flags & TcpFlyweight.FLAG_FIN) != 0)
        {
            replies.answerFin(meta, tcp.sequence(), tcp.acknowledgment());
        }
    }

    private void onUdp(final MemorySegment frame)
    {
        final Probe own = ownProbe(IpProtocol.UDP, meta.destinationPort);
        if (own != null)
        {
            own.answer(Probe.Answer.OPEN);
            return;
        }
        arrived(IpProtocol.UDP, meta.sourcePort);
        replies.answerUdp(frame, meta, served.serves(IpProtocol.UDP, meta.destinationPort));
    }

    private void onIcmp(final MemorySegment frame)
    {
        switch (meta.icmpType)
        {
            case IcmpFlyweight.TYPE_ECHO_REQUEST ->
            {
                arrived(IpProtocol.ICMP, meta.icmpIdentifier);
                replies.answerEcho(frame, meta);
            }
            case IcmpFlyweight.TYPE_ECHO_REPLY ->
            {
                final Probe own = ownProbe(IpProtocol.ICMP, meta.icmpIdentifier);
                if (own != null)
                {
                    own.answer(Probe.Answer.OPEN);
                }
            }
            case IcmpFlyweight.TYPE_DESTINATION_UNREACHABLE -> replies.onUnreachable(frame, meta);
            default -> framesIgnored++;
        }
    }

    private void onSctp(final MemorySegment frame)
    {
        sctp.wrap(frame, meta.l4Offset);
        final Probe own = ownProbe(IpProtocol.SCTP, meta.destinationPort);
        if (own != null)
        {
            replies.onSctpAtClient(own, meta, sctp.verificationTag(), meta.sctpChunkType, sctp.initiateTag());
            return;
        }
        if (meta.sctpChunkType == SctpFlyweight.CHUNK_INIT)
        {
            arrived(IpProtocol.SCTP, meta.sourcePort);
            replies.answerInit(meta, sctp.initiateTag(), served.serves(IpProtocol.SCTP, meta.destinationPort));
        }
    }

    @Override
    public String toString()
    {
        return "VirtualEndpoint{" + name + "}";
    }
}
