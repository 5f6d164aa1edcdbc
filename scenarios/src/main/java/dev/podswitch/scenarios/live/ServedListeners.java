package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.live.sctp.SctpSupport;
import dev.podswitch.scenarios.model.ContainerPort;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real servers of one live pod or host: for every declared TCP port a listening socket that
 * accepts, writes the peer address it saw ({@code "10.244.1.2\n"}) and closes; for every UDP port
 * a socket that answers each datagram with the peer address it saw; and its SCTP side from
 * {@link SctpSupport#forThisMachine()} — on a kernel without SCTP a userspace responder that
 * answers an INIT to a declared SCTP port with an INIT ACK whose State Cookie holds the source IP
 * it saw, and an INIT to any other port with an ABORT (so it runs for every pod, SCTP ports or
 * not); on a kernel with SCTP, kernel listeners that write the peer address like TCP's. The
 * sockets are made inside the pod's namespace (bound to 0.0.0.0) and served by one daemon thread
 * each. The peer address in the answer is how a probe learns the source IP the destination saw.
 */
final class ServedListeners implements Closeable
{
    private final String owner;
    private final List<Closeable> sockets = new ArrayList<>();
    private final AtomicLong served = new AtomicLong();

    private ServedListeners(final String owner)
    {
        this.owner = owner;
    }

    static ServedListeners start(final String owner, final String namespace, final List<ContainerPort> ports)
    {
        final ServedListeners listeners = new ServedListeners(owner);
        try
        {
            final Set<Integer> sctpPorts = new TreeSet<>();
            for (final ContainerPort port : ports)
            {
                final IpProtocol protocol = port.protocol() == null ? IpProtocol.TCP : port.protocol();
                switch (protocol)
                {
                    case TCP -> listeners.serveTcp(namespace, port.containerPort());
                    case UDP -> listeners.serveUdp(namespace, port.containerPort());
                    case SCTP -> sctpPorts.add(port.containerPort());
                    // ICMP has no ports: the loader refuses it as a container port, so this is a bug if reached.
                    default -> throw new IllegalArgumentException(owner + ": cannot serve " + protocol
                        + "/" + port.containerPort());
                }
            }
            listeners.sockets.add(SctpSupport.forThisMachine().serve(owner, namespace, sctpPorts));
            return listeners;
        }
        catch (final RuntimeException failed)
        {
            listeners.close();
            throw failed;
        }
    }

    /** TCP connections accepted and UDP datagrams answered so far (SCTP keeps its own counters). */
    long servedCount()
    {
        return served.get();
    }

    private void serveTcp(final String namespace, final int port)
    {
        final ServerSocket listener = inNamespace(namespace, () ->
        {
            final ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port), 128);
            return socket;
        }, "TCP/" + port);
        sockets.add(listener);
        Thread.ofPlatform().daemon(true).name("psw-tcp-" + owner + "-" + port).start(() ->
        {
            while (!listener.isClosed())
            {
                try (Socket accepted = listener.accept())
                {
                    served.incrementAndGet();
                    accepted.setSoLinger(true, 1);
                    final OutputStream out = accepted.getOutputStream();
                    out.write((accepted.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                catch (final IOException closedOrReset)
                {
                    // Closed by close(), or the prober gave up first: nothing to serve.
                }
            }
        });
    }

    private void serveUdp(final String namespace, final int port)
    {
        final DatagramSocket socket = inNamespace(namespace, () ->
        {
            final DatagramSocket bound = new DatagramSocket(null);
            bound.setReuseAddress(true);
            bound.bind(new InetSocketAddress(port));
            return bound;
        }, "UDP/" + port);
        sockets.add(socket);
        Thread.ofPlatform().daemon(true).name("psw-udp-" + owner + "-" + port).start(() ->
        {
            final byte[] buffer = new byte[2048];
            while (!socket.isClosed())
            {
                try
                {
                    final DatagramPacket request = new DatagramPacket(buffer, buffer.length);
                    socket.receive(request);
                    served.incrementAndGet();
                    final byte[] answer = (request.getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII);
                    socket.send(new DatagramPacket(answer, answer.length, request.getSocketAddress()));
                }
                catch (final SocketException closed)
                {
                    if (socket.isClosed())
                    {
                        return;
                    }
                }
                catch (final IOException unanswerable)
                {
                    // One datagram could not be answered; keep serving.
                }
            }
        });
    }

    private <T> T inNamespace(final String namespace, final java.util.concurrent.Callable<T> open, final String what)
    {
        try
        {
            return NetworkNamespaces.callIn(namespace, open);
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException(owner + ": cannot serve " + what + " in " + namespace + ": " + failed, failed);
        }
    }

    @Override
    public void close()
    {
        for (final Closeable socket : sockets)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ignored)
            {
                // Closing a listening socket does not fail in a way that matters here.
            }
        }
        sockets.clear();
    }
}
