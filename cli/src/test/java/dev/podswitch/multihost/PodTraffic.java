package dev.podswitch.multihost;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.NetworkNamespaces;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Traffic between the tests' pods, from inside their network namespaces. Every server answers with
 * the peer address it saw — how a client learns its own IP arrived untouched (no NAT) — and the TCP
 * server then echoes lines, so a connection can be kept open across a fault and used again.
 * Sockets keep the namespace they were made in, so only their creation runs in the namespace.
 */
final class PodTraffic
{
    private static final int TIMEOUT_MS = 3_000;

    private PodTraffic()
    {
    }

    /** A TCP and a UDP server on {@code port} in {@code namespace}, until closed. */
    static Closeable serve(final String namespace, final int port) throws Exception
    {
        final ServerSocket tcp = NetworkNamespaces.callIn(namespace, () ->
        {
            final ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("0.0.0.0", port));
            return socket;
        });
        final DatagramSocket udp = NetworkNamespaces.callIn(namespace, () -> new DatagramSocket(port));
        Thread.ofPlatform().daemon(true).name("psmh-tcp-" + namespace).start(() -> acceptLoop(tcp));
        Thread.ofPlatform().daemon(true).name("psmh-udp-" + namespace).start(() -> answerLoop(udp));
        return () ->
        {
            tcp.close();
            udp.close();
        };
    }

    private static void acceptLoop(final ServerSocket server)
    {
        while (!server.isClosed())
        {
            try
            {
                final Socket connection = server.accept();
                Thread.ofPlatform().daemon(true).start(() -> echo(connection));
            }
            catch (final IOException closed)
            {
                return;
            }
        }
    }

    private static void echo(final Socket connection)
    {
        try (connection; OutputStream out = connection.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.US_ASCII)))
        {
            out.write((connection.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (String line = in.readLine(); line != null; line = in.readLine())
            {
                out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }
        catch (final IOException resetOrClosed)
        {
            // The client went; nothing to answer.
        }
    }

    private static void answerLoop(final DatagramSocket socket)
    {
        final byte[] buffer = new byte[1500];
        while (!socket.isClosed())
        {
            try
            {
                final DatagramPacket asked = new DatagramPacket(buffer, buffer.length);
                socket.receive(asked);
                final byte[] answer = asked.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(answer, answer.length, asked.getSocketAddress()));
            }
            catch (final IOException closed)
            {
                return;
            }
        }
    }

    /** The peer address a TCP server at {@code ip:port} saw from {@code namespace}, or null when it failed. */
    static String tcp(final String namespace, final String ip, final int port) throws Exception
    {
        try (Established connection = Established.open(namespace, ip, port))
        {
            return connection == null ? null : connection.seenAs;
        }
    }

    /** The peer address a UDP server saw (three tries, a second each), or null when none was answered. */
    static String udp(final String namespace, final String ip, final int port) throws Exception
    {
        final DatagramSocket socket = NetworkNamespaces.callIn(namespace, () ->
        {
            final DatagramSocket made = new DatagramSocket();
            made.connect(new InetSocketAddress(ip, port));
            return made;
        });
        try (socket)
        {
            socket.setSoTimeout(1_000);
            for (int attempt = 0; attempt < 3; attempt++)
            {
                socket.send(new DatagramPacket(new byte[] {'?'}, 1));
                final DatagramPacket answer = new DatagramPacket(new byte[64], 64);
                try
                {
                    socket.receive(answer);
                    return new String(answer.getData(), 0, answer.getLength(), StandardCharsets.US_ASCII);
                }
                catch (final SocketTimeoutException lost)
                {
                    // Try again: the first datagram may have waited for ARP.
                }
                catch (final IOException refused)
                {
                    return null;
                }
            }
            return null;
        }
    }

    static boolean ping(final String namespace, final String ip)
    {
        return IpCommand.execIn(namespace, "ping", "-c", "1", "-w", "3", ip).succeeded();
    }

    /** A TCP connection kept open: it said who it saw, and echoes lines. */
    static final class Established implements AutoCloseable
    {
        final String seenAs;
        private final Socket socket;
        private final BufferedReader in;

        private Established(final Socket socket) throws IOException
        {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            this.seenAs = in.readLine();
        }

        /** Connects from {@code namespace}; null when the connection could not be made. */
        static Established open(final String namespace, final String ip, final int port) throws Exception
        {
            final Socket socket = NetworkNamespaces.callIn(namespace, () ->
            {
                final Socket made = new Socket();
                try
                {
                    made.connect(new InetSocketAddress(ip, port), TIMEOUT_MS);
                    return made;
                }
                catch (final IOException failed)
                {
                    made.close();
                    return null;
                }
            });
            if (socket == null)
            {
                return null;
            }
            socket.setSoTimeout(TIMEOUT_MS * 3);
            try
            {
                return new Established(socket);
            }
            catch (final IOException failed)
            {
                socket.close();
                return null;
            }
        }

        /** Sends a line and returns its echo, or null when the connection no longer carries it. */
        String roundTrip(final String line)
        {
            try
            {
                socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                return in.readLine();
            }
            catch (final IOException broken)
            {
                return null;
            }
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }

    /** Every ordered pair of {@code names}, for matrices. */
    static <T> List<List<T>> pairs(final List<T> names)
    {
        final List<List<T>> pairs = new ArrayList<>();
        for (final T from : names)
        {
            for (final T to : names)
            {
                if (!from.equals(to))
                {
                    pairs.add(List.of(from, to));
                }
            }
        }
        return pairs;
    }
}
