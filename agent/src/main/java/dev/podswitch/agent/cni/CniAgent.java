package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.CniWire;
import dev.podswitch.cni.PluginClient;

import dev.podswitch.agent.UnixSockets;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node agent's Unix socket: the {@code podswitch} plugin's requests come in, one per
 * connection, each on a virtual thread; they are handled one at a time — the cluster has one
 * driver — so parallel ADDs are serialised and never race for an IP. Every CNI request is logged
 * to stderr with its command, container, interface, result and time.
 *
 * <p>Whatever a client does, the agent keeps serving the others: at most
 * {@link Limits#maxConnections} connections at once (one more is answered "try again later" and
 * closed without being read), a request must arrive within {@link Limits#readTimeoutMs} and the
 * answer leave within as long (else the connection is closed), requests are bounded in size
 * ({@link CniWire}), and anything a request throws — an Error included — is answered as a CNI
 * error and logged, never taking the acceptor or the agent down.
 */
public final class CniAgent implements AutoCloseable
{
    /**
     * @param maxConnections connections served at once, the one being handled and those waiting for the driver.
     * @param readTimeoutMs  how long a client may take to send its request, and to take its answer.
     */
    public record Limits(int maxConnections, long readTimeoutMs)
    {
        /** A runtime starts pods a few at a time; a request is one write of a few kilobytes. */
        public static final Limits DEFAULT = new Limits(32, 10_000);
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private final Path socket;
    private final CniHandler cni;
    private final PrintStream log;
    private final Limits limits;
    private final CniRequestListener listener;
    private final Semaphore connections;
    private final Object driver = new Object();
    private final AtomicLong served = new AtomicLong();
    private final ScheduledThreadPoolExecutor deadlines;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean open;

    public CniAgent(final Path socket, final CniHandler cni, final PrintStream log)
    {
        this(socket, cni, log, Limits.DEFAULT);
    }

    public CniAgent(final Path socket, final CniHandler cni, final PrintStream log, final Limits limits)
    {
        this(socket, cni, log, limits, CniRequestListener.NONE);
    }

    /** @param listener told of every CNI request answered (metrics). */
    public CniAgent(final Path socket, final CniHandler cni, final PrintStream log, final Limits limits,
        final CniRequestListener listener)
    {
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
        this.socket = socket;
        this.cni = cni;
        this.log = log;
        this.limits = limits;
        this.connections = new Semaphore(limits.maxConnections());
        this.deadlines = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().name("psw-agent-deadlines").daemon(true).factory());
        this.deadlines.setRemoveOnCancelPolicy(true);
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
            SocketChannel connection = null;
            try
            {
                connection = server.accept();
                if (!connections.tryAcquire())
                {
                    refuseBusy(connection);
                    continue;
                }
                final SocketChannel accepted = connection;
                try
                {
                    Thread.ofVirtual().name("psw-agent-request").start(() -> serve(accepted));
                }
                catch (final Throwable notStarted)
                {
                    connections.release();
                    throw notStarted;
                }
            }
            catch (final Throwable failed)
            {
                // An accept that failed (a closed socket when stopping), or no thread for the request:
                // that connection is lost, the acceptor is not.
                closeQuietly(connection);
                if (open)
                {
                    log.println(stamp() + " accept failed: " + failed);
                }
            }
        }
    }

    /** The answer to a connection past the limit, written without reading its request and without blocking. */
    private void refuseBusy(final SocketChannel connection)
    {
        final long started = System.nanoTime();
        try (connection)
        {
            final CniHandler.Outcome busy = new CniHandler.Outcome(1, CniVersions.errorJson(CniVersions.LATEST,
                CniVersions.TRY_AGAIN_LATER, "podswitch agent is busy", limits.maxConnections()
                    + " requests are in progress; try again later"), "");
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CniWire.writeResponse(new DataOutputStream(bytes), busy.exitStatus(),
                busy.stdout().getBytes(StandardCharsets.UTF_8), new byte[0]);
            connection.configureBlocking(false);
            connection.write(ByteBuffer.wrap(bytes.toByteArray()));
            log.println(stamp() + " refused a connection: " + limits.maxConnections() + " in progress");
            listener.answered(CniRequestListener.UNREAD, CniVersions.TRY_AGAIN_LATER, (System.nanoTime() - started) / 1e9);
        }
        catch (final IOException gone)
        {
            // The client went first: nothing to tell it.
        }
    }

    private void serve(final SocketChannel connection)
    {
        CniWire.Request request = null;
        final long started = System.nanoTime();
        try (connection)
        {
            request = within(connection, () -> CniWire.readRequest(
                new DataInputStream(new BufferedInputStream(Channels.newInputStream(connection)))));
            final CniHandler.Outcome outcome = handle(request);
            served.incrementAndGet();
            within(connection, () ->
            {
                CniWire.writeResponse(new DataOutputStream(Channels.newOutputStream(connection)), outcome.exitStatus(),
                    outcome.stdout().getBytes(StandardCharsets.UTF_8), outcome.stderr().getBytes(StandardCharsets.UTF_8));
                return null;
            });
            if (request.kind() == CniWire.KIND_CNI)
            {
                final long tookNs = System.nanoTime() - started;
                log.println(stamp() + " " + describe(request.pairs()) + " -> "
                    + (outcome.exitStatus() == 0 ? "ok" : "error " + outcome.stdout().strip()) + " ("
                    + tookNs / 1_000 + " µs)");
                listener.answered(request.pairs().get("CNI_COMMAND"), outcome.errorCode(), tookNs / 1e9);
            }
        }
        catch (final Throwable failed)
        {
            log.println(stamp() + " request " + (request == null ? "" : describe(request.pairs()) + " ") + "failed: "
                + (failed instanceof AsynchronousCloseException
                    ? "the client took more than " + limits.readTimeoutMs() + " ms to send it or to take the answer"
                    : failed));
        }
        finally
        {
            connections.release();
        }
    }

    /** The request answered; whatever it throws becomes a CNI error, so the plugin always gets an answer. */
    private CniHandler.Outcome handle(final CniWire.Request request)
    {
        try
        {
            synchronized (driver)
            {
                // Accepted before close() but waiting for the driver: the cluster may be going away.
                // The control requests that once rode this wire are the control API's now (docs/api.md).
                return !open ? closing(request)
                    : request.kind() == CniWire.KIND_CNI ? cni.handle(request.pairs(), request.body())
                    : new CniHandler.Outcome(2, "", "the CNI socket serves the plugin only; the control API is on the "
                        + "agent's API socket (podswitch get/apply/delete/label)\n");
            }
        }
        catch (final Throwable failed)
        {
            final String asked = PluginClient.requestedVersion(request.body());
            return new CniHandler.Outcome(1, CniVersions.errorJson(
                CniVersions.isSupported(asked) ? asked : CniVersions.LATEST, CniVersions.ATTACH_FAILED,
                "podswitch agent error", String.valueOf(failed)), "");
        }
    }

    private interface Io<T>
    {
        T run() throws IOException;
    }

    /** Runs one read or write of {@code connection}, closing it (which ends the call) if it takes too long. */
    private <T> T within(final SocketChannel connection, final Io<T> io) throws IOException
    {
        final ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(connection), limits.readTimeoutMs(),
            TimeUnit.MILLISECONDS);
        try
        {
            return io.run();
        }
        finally
        {
            deadline.cancel(false);
        }
    }

    private static void closeQuietly(final SocketChannel connection)
    {
        if (connection != null)
        {
            try
            {
                connection.close();
            }
            catch (final IOException ignored)
            {
                // Closing anyway.
            }
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
        deadlines.shutdownNow();
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
