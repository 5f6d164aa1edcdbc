package dev.podswitch.agent.cni;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.NetworkNamespaces;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * TCP and ping from inside a network namespace, for the tests' pods. A socket keeps the namespace
 * it was made in (its descriptor's, made by bind or connect on a thread that joined the namespace),
 * so the listening socket is then served from any thread. The server answers like the live lab's listeners: it writes the peer address it saw
 * and closes — which is how a client learns whether its source IP arrived untouched (no NAT).
 */
final class NamespaceTcp
{
    /** Long enough for a lost first SYN to be sent again (1 s) on a loaded machine. */
    private static final int CONNECT_MS = 3_000;

    private NamespaceTcp()
    {
    }

    /**
     * Connects from {@code namespace} and reads the one line the server writes.
     *
     * @return the peer address the server saw, or null when the connection failed (denied, refused, no route).
     */
    static String connect(final String namespace, final String ip, final int port) throws Exception
    {
        // All of it on the namespace's thread: a java.net.Socket makes its file descriptor only on connect.
        return NetworkNamespaces.callIn(namespace, () ->
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress(ip, port), CONNECT_MS);
                socket.setSoTimeout(CONNECT_MS);
                return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            }
            catch (final IOException failed)
            {
                return null;
            }
        });
    }

    /** Serves {@code port} in {@code namespace} until closed: each connection gets the peer address, then EOF. */
    static Closeable serve(final String namespace, final int port) throws Exception
    {
        final ServerSocket server = NetworkNamespaces.callIn(namespace, () ->
        {
            final ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("0.0.0.0", port));
            return socket;
        });
        Thread.ofPlatform().daemon(true).name("psw-test-serve-" + namespace).start(() ->
        {
            while (!server.isClosed())
            {
                try (Socket connection = server.accept(); OutputStream out = connection.getOutputStream())
                {
                    out.write((connection.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                catch (final IOException closedOrReset)
                {
                    // Closed: the loop ends; a reset client: the next one is served.
                }
            }
        });
        return server;
    }

    /** One echo request answered within a few seconds (ping resends each second until then). */
    static boolean ping(final String namespace, final String ip)
    {
        return IpCommand.execIn(namespace, "ping", "-c", "1", "-w", "3", ip).succeeded();
    }
}
