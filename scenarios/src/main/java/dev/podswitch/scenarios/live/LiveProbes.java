package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.control.live.NetworkNamespaces;
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
 * One probe with the kernel's sockets, from inside the source pod's namespace. The answers mean
 * what they mean in the emulated mode: {@code open} (handshake / echo / echo reply), {@code
 * refused} (RST, ICMP port unreachable) or {@code none} (nothing came back before the timeout).
 *
 * <p>Timeouts, chosen so that a loaded 2-core machine does not turn a slow answer into "denied":
 * TCP connects for {@value #TCP_CONNECT_MS} ms (the kernel retransmits the SYN after 1 s, so a
 * lost SYN gets a second chance inside the window) and then waits up to {@value #ANSWER_MS} ms
 * for the listener's line; UDP sends a datagram every {@value #UDP_RESEND_MS} ms and waits
 * {@value #UDP_TOTAL_MS} ms in all; ICMP runs {@code ping -c 1 -i 0.5 -w 2} (an echo request
 * every 0.5 s until one reply or 2 s).
 *
 * <p>The source IP the destination saw: for {@code open} TCP and UDP it is the peer address the
 * destination's listener wrote back; for {@code refused} and ICMP it is inferred — the answer was
 * addressed to the sender's own IP, which is the only address the destination could have
 * answered to, as the switch does no NAT.
 */
final class LiveProbes
{
    static final int TCP_CONNECT_MS = 1_500;
    static final int ANSWER_MS = 1_500;
    static final int UDP_RESEND_MS = 500;
    static final int UDP_TOTAL_MS = 1_500;
    static final String PING_DEADLINE_SECONDS = "2";
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
    static String pingMissing()
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
                default -> throw new IllegalStateException(plan.probeLabel() + " cannot be probed in live mode");
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
