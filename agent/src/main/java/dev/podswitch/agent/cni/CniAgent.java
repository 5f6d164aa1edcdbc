package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.CniWire;

import dev.podswitch.agent.UnixSockets;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node agent's Unix socket: the {@code podswitch} plugin's requests (and the CLI's control
 * requests) come in, one per connection, each on a virtual thread; they are handled one at a
 * time — the cluster has one driver — so parallel ADDs are serialised and never race for an IP.
 * Every CNI request is logged to stderr with its command, container, interface, result and time.
 */
public final class CniAgent implements AutoCloseable
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private final Path socket;
    private final CniHandler cni;
    private final PrintStream log;
    private final Object driver = new Object();
    private final AtomicLong served = new AtomicLong();
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean open;

    public CniAgent(final Path socket, final CniHandler cni, final PrintStream log)
    {
        this.socket = socket;
        this.cni = cni;
        this.log = log;
    }

    /**
     * Binds the socket (its directory made if needed; a stale socket file of a dead agent replaced,
     * a live agent's refused) and starts accepting.
     */
    public CniAgent start() throws IOException
    {
        Files.createDirectories(socket.toAbsolutePath().getParent());
        if (Files.exists(socket))
        {
            if (answers(socket))
            {
                throw new IOException("another agent is serving " + socket);
            }
            Files.delete(socket);
        }
        // Only root (the runtime) may ask for interfaces in arbitrary namespaces.
        server = UnixSockets.bindOwnerOnly(socket);
        open = true;
        acceptor = Thread.ofPlatform().name("psw-agent-accept").daemon(true).start(this::acceptLoop);
        return this;
    }

    /** Whether an agent is listening on {@code socket}. */
    public static boolean answers(final Path socket)
    {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        }
        catch (final IOException dead)
        {
            return false;
        }
    }

    private void acceptLoop()
    {
        while (open)
        {
            try
            {
                final SocketChannel connection = server.accept();
                Thread.ofVirtual().name("psw-agent-request").start(() -> serve(connection));
            }
            catch (final IOException closed)
            {
                if (open)
                {
                    log.println(stamp() + " accept failed: " + closed.getMessage());
                }
            }
        }
    }

    private void serve(final SocketChannel connection)
    {
        try (connection)
        {
            final CniWire.Request request = CniWire.readRequest(new DataInputStream(Channels.newInputStream(connection)));
            final long started = System.nanoTime();
            final CniHandler.Outcome outcome;
            synchronized (driver)
            {
                // Accepted before close() but waiting for the driver: the cluster may be going away.
                // The control requests that once rode this wire are the control API's now (docs/api.md).
                outcome = !open ? closing(request)
                    : request.kind() == CniWire.KIND_CNI ? cni.handle(request.pairs(), request.body())
                    : new CniHandler.Outcome(2, "", "the CNI socket serves the plugin only; the control API is on the "
                        + "agent's API socket (podswitch get/apply/delete/label)\n");
            }
            served.incrementAndGet();
            CniWire.writeResponse(new DataOutputStream(Channels.newOutputStream(connection)), outcome.exitStatus(),
                outcome.stdout().getBytes(StandardCharsets.UTF_8), outcome.stderr().getBytes(StandardCharsets.UTF_8));
            if (request.kind() == CniWire.KIND_CNI)
            {
                log.println(stamp() + " " + describe(request.pairs()) + " -> "
                    + (outcome.exitStatus() == 0 ? "ok" : "error " + outcome.stdout().strip()) + " ("
                    + (System.nanoTime() - started) / 1_000 + " µs)");
            }
        }
        catch (final IOException | RuntimeException failed)
        {
            log.println(stamp() + " request failed: " + failed.getMessage());
        }
    }

    private static CniHandler.Outcome closing(final CniWire.Request request)
    {
        return new CniHandler.Outcome(1, request.kind() == CniWire.KIND_CNI
            ? CniVersions.errorJson(CniVersions.LATEST, CniVersions.TRY_AGAIN_LATER, "podswitch agent is stopping",
                "try again once it is back")
            : "", request.kind() == CniWire.KIND_CNI ? "" : "the agent is stopping\n");
    }

    private static String describe(final Map<String, String> environment)
    {
        return environment.getOrDefault("CNI_COMMAND", "?") + " " + environment.getOrDefault("CNI_CONTAINERID", "-")
            + " " + environment.getOrDefault("CNI_IFNAME", "-");
    }

    private static String stamp()
    {
        return "[agent " + LocalTime.now().format(TIME) + "]";
    }

    /** Runs {@code task} as the driver (no request is handled meanwhile). */
    public void asDriver(final Runnable task)
    {
        synchronized (driver)
        {
            task.run();
        }
    }

    public long servedCount()
    {
        return served.get();
    }

    public Path socket()
    {
        return socket;
    }

    /** Stops accepting and removes the socket; requests in progress finish. */
    @Override
    public void close()
    {
        open = false;
        try
        {
            if (server != null)
            {
                server.close();
            }
            Files.deleteIfExists(socket);
            if (acceptor != null)
            {
                acceptor.join(2_000);
            }
        }
        catch (final IOException | InterruptedException ignored)
        {
            // Closing anyway.
        }
        synchronized (driver)
        {
            // Wait for a request being handled to finish before the caller tears the cluster down.
        }
    }
}
