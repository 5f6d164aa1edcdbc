package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.scenarios.live.sctp.ProbeTiming;
import dev.podswitch.scenarios.live.sctp.SctpProbeResult;
import dev.podswitch.scenarios.live.sctp.SctpSupport;
import dev.podswitch.scenarios.run.ProbeOutcome;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One probe from inside the source pod's namespace: TCP, UDP and ICMP with the kernel's sockets
 * (and ping), SCTP with {@link SctpSupport#forThisMachine()} — raw sockets and a userspace INIT on
 * a kernel without SCTP, the kernel's SCTP sockets where it has SCTP. The answers mean what they
 * mean in the emulated mode: {@code open} (handshake / echo / echo reply / INIT ACK), {@code
 * refused} (RST, ICMP port unreachable, ABORT) or {@code none} (nothing came back before the
 * timeout).
 *
 * <p>Timeouts, chosen so that a loaded 2-core machine does not turn a slow answer into "denied":
 * TCP connects for {@value #TCP_CONNECT_MS} ms (the kernel retransmits the SYN after 1 s, so a
 * lost SYN gets a second chance inside the window) and then waits up to {@value #ANSWER_MS} ms
 * for the listener's line; UDP sends a datagram every {@value #UDP_RESEND_MS} ms and waits
 * {@value #UDP_TOTAL_MS} ms in all, and SCTP sends its INIT at the same rhythm; ICMP runs {@code
 * ping -c 1 -i 0.5 -w 2} (an echo request every 0.5 s until one reply or 2 s).
 *
 * <p>The source IP the destination saw: for {@code open} TCP and UDP it is the peer address the
 * destination's listener wrote back, for {@code open} SCTP the address the responder wrote into
 * its INIT ACK's State Cookie (kernel path: the listener's line); for {@code refused} and ICMP it
 * is inferred — the answer was addressed to the sender's own IP, which is the only address the
 * destination could have answered to, as the switch does no NAT.
 */
public final class LiveProbes
{
    static final int TCP_CONNECT_MS = 1_500;
    static final int ANSWER_MS = 1_500;
    static final int UDP_RESEND_MS = 500;
    static final int UDP_TOTAL_MS = 1_500;
    static final String PING_DEADLINE_SECONDS = "2";
    /** SCTP keeps the UDP probe's rhythm (an INIT every 0.5 s for 1.5 s) and, kernel path, TCP's wait for the line. */
    static final ProbeTiming SCTP_TIMING = new ProbeTiming(UDP_RESEND_MS, UDP_TOTAL_MS, ANSWER_MS);
    private static final String PING = locatePing();

    private LiveProbes()
    {
    }

    private static String locatePing()
    {
        for (final String candidate : new String[] {"/usr/bin/ping", "/bin/ping", "/usr/sbin/ping", "/sbin/ping"})
        {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(candidate)))
            {
                return candidate;
            }
        }
        return null;
    }

    /** Null when ping is installed, else why ICMP probes cannot run. */
    public static String pingMissing()
    {
        return PING == null ? "ping is not installed (apt-get install iputils-ping)" : null;
    }

    static ProbeOutcome run(final ProbeOutcome plan, final LivePod from, final LivePod to)
    {
        try
        {
            return switch (plan.protocol())
            {
                case TCP -> tcp(plan, from, to);
                case UDP -> udp(plan, from, to);
                case ICMP -> icmp(plan, from, to);
                case SCTP -> sctp(plan, from, to);
            };
        }
        catch (final RuntimeException failed)
        {
            throw failed;
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException(plan.from() + " → " + plan.to() + " " + plan.probeLabel() + ": " + failed,
                failed);
        }
    }

    private static ProbeOutcome tcp(final ProbeOutcome plan, final LivePod from, final LivePod to) throws Exception
    {
        final InetAddress destination = InetAddress.getByName(to.ipText());
        return NetworkNamespaces.callIn(from.namespace(), () ->
        {
            try (Socket socket = new Socket())
            {
                try
                {
                    socket.connect(new InetSocketAddress(destination, plan.port()), TCP_CONNECT_MS);
                }
                catch (final SocketTimeoutException timedOut)
                {
                    return outcome(plan, from, "none", null);
                }
                catch (final ConnectException refused)
                {
                    final String message = String.valueOf(refused.getMessage()).toLowerCase(Locale.ROOT);
                    return message.contains("refused") ? outcome(plan, from, "refused", from.ipText())
                        : outcome(plan, from, "none", null);
                }
                socket.setSoTimeout(ANSWER_MS);
                String seen;
                try
                {
                    seen = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                }
                catch (final IOException noLine)
                {
                    seen = null;
                }
                // The handshake completed: something answered. Without the listener's line the source seen is unknown.
                return outcome(plan, from, "open", seen == null ? null : seen.strip());
            }
        });
    }

    private static ProbeOutcome udp(final ProbeOutcome plan, final LivePod from, final LivePod to) throws Exception
    {
        final InetAddress destination = InetAddress.getByName(to.ipText());
        return NetworkNamespaces.callIn(from.namespace(), () ->
        {
            try (DatagramSocket socket = new DatagramSocket())
            {
                socket.connect(destination, plan.port());
                socket.setSoTimeout(UDP_RESEND_MS);
                final byte[] request = ("psw-probe " + plan.from() + "\n").getBytes(StandardCharsets.US_ASCII);
                final byte[] buffer = new byte[256];
                final long deadline = System.nanoTime() + UDP_TOTAL_MS * 1_000_000L;
                while (System.nanoTime() < deadline)
                {
                    try
                    {
                        socket.send(new DatagramPacket(request, request.length));
                        final DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
                        socket.receive(answer);
                        final String seen = new String(buffer, 0, answer.getLength(), StandardCharsets.US_ASCII).strip();
                        return outcome(plan, from, "open", seen);
                    }
                    catch (final PortUnreachableException refused)
                    {
                        return outcome(plan, from, "refused", from.ipText());
                    }
                    catch (final SocketTimeoutException noAnswerYet)
                    {
                        // Send again: a loaded machine may have lost the first datagram.
                    }
                }
                return outcome(plan, from, "none", null);
            }
        });
    }

    private static ProbeOutcome sctp(final ProbeOutcome plan, final LivePod from, final LivePod to) throws Exception
    {
        final SctpProbeResult result = SctpSupport.forThisMachine().probe(from.namespace(), to.ip(), plan.port(),
            SCTP_TIMING);
        return switch (result.answer())
        {
            case OPEN -> outcome(plan, from, "open", result.sourceIpSeen());
            case REFUSED -> outcome(plan, from, "refused", from.ipText());
            case NONE -> outcome(plan, from, "none", null);
        };
    }

    private static ProbeOutcome icmp(final ProbeOutcome plan, final LivePod from, final LivePod to)
    {
        if (PING == null)
        {
            throw new IllegalStateException(pingMissing());
        }
        final IpCommand.Result ping = from.exec(PING, "-n", "-q", "-c", "1", "-i", "0.5", "-w", PING_DEADLINE_SECONDS,
            to.ipText());
        return ping.succeeded() ? outcome(plan, from, "open", from.ipText()) : outcome(plan, from, "none", null);
    }

    private static ProbeOutcome outcome(final ProbeOutcome plan, final LivePod from, final String answer,
        final String sourceIpSeen)
    {
        final boolean observed = !"none".equals(answer) && from.ipText().equals(sourceIpSeen);
        return new ProbeOutcome(plan.from(), plan.to(), plan.protocol(), plan.port(), plan.expected(), observed, answer,
            from.ipText(), sourceIpSeen);
    }
}
