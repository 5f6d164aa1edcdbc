package dev.podswitch.agent.capture;

import dev.podswitch.util.Closeables;

import dev.podswitch.agent.UnixSockets;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.capture.CaptureQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code podswitch up}'s capture endpoint: a Unix domain socket next to the lab's state file
 * (owner-only, 0600) on which {@code podswitch capture} asks for one port's frames
 * ({@link CaptureProtocol}). Each accepted capture installs a {@link CaptureQueue} as the port's
 * mirror on its node ({@link NodeDatapath#mirror}) and runs a thread that drains the queue into
 * the connection ({@link CaptureSession}); the capture ends — and the mirror is removed — when
 * the client closes the connection or the lab stops. This class owns the socket, the requests,
 * the one-capture-per-port bookkeeping and the cap on connections ({@link #MAX_CONNECTIONS}), which
 * its acceptor thread checks before it starts a connection's thread.
 */
public final class CaptureServer implements AutoCloseable
{
    /**
     * Connections at once, asking for a capture or capturing: each has a thread, and a capture a ring
     * of {@link CaptureQueue#DEFAULT_CAPACITY}. The acceptor refuses a further one itself, before any
     * thread is started for it, so a burst of connections cannot make threads without bound.
     */
    public static final int MAX_CONNECTIONS = 16;
    private static final long REQUEST_TIMEOUT_S = 10;
    private static final long SESSION_JOIN_MS = 3_000;
    private static final long BUSY_WAIT_NS = 1_000_000_000L;

    /** What one capture request can name: a pod's (or host's) port, or a node's VXLAN tunnel port. */
    public record Target(String label, String portName, String node, NodeDatapath datapath, int portId, boolean tunnel,
        int localVtepIp, int vni)
    {
    }

    private final Path path;
    private final ServerSocketChannel server;
    /** Asked at each request: an agent's pods come and go while it serves. */
    private final Supplier<Map<String, Target>> pods;
    private final Supplier<Map<String, Target>> tunnels;
    private final Set<String> capturedPorts = new HashSet<>();
    private final List<CaptureSession> sessions = new ArrayList<>();
    /** At most this many connections at once ({@link #MAX_CONNECTIONS} unless the daemon says otherwise). */
    private final int maxConnections;
    /** Accepted and not yet ended, each with its thread: at most {@link #maxConnections}. Guarded by this. */
    private int connections;
    private final ScheduledExecutorService timer;
    private final Thread acceptor;
    private volatile boolean closed;

    private CaptureServer(final Path path, final ServerSocketChannel server, final Supplier<Map<String, Target>> pods,
        final Supplier<Map<String, Target>> tunnels, final int maxConnections)
    {
        this.maxConnections = maxConnections;
        this.path = path;
        this.server = server;
        this.pods = pods;
        this.tunnels = tunnels;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon(true)
            .name("psw-capture-timer").factory());
        this.acceptor = Thread.ofPlatform().daemon(true).name("psw-capture-accept").unstarted(this::acceptLoop);
    }

    /**
     * Listens on {@code path} (a stale socket file of the same name is replaced).
     *
     * @param pods    by pod key ({@code namespace/name}) or host name.
     * @param tunnels by node name.
     */
    public static CaptureServer start(final Path path, final Map<String, Target> pods, final Map<String, Target> tunnels)
    {
        final Map<String, Target> fixedPods = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pods));
        final Map<String, Target> fixedTunnels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tunnels));
        return start(path, () -> fixedPods, () -> fixedTunnels);
    }

    /**
     * As {@link #start(Path, Map, Map)}, with the targets looked up at each request — for a daemon
     * whose pods come and go (the agent's CNI pods).
     */
    public static CaptureServer start(final Path path, final Supplier<Map<String, Target>> pods,
        final Supplier<Map<String, Target>> tunnels)
    {
        return start(path, pods, tunnels, MAX_CONNECTIONS);
    }

    /** As above, with at most {@code maxConnections} captures (and connections still asking) at once. */
    public static CaptureServer start(final Path path, final Supplier<Map<String, Target>> pods,
        final Supplier<Map<String, Target>> tunnels, final int maxConnections)
    {
        if (maxConnections < 1)
        {
            throw new IllegalArgumentException("at least one capture must be allowed, got " + maxConnections);
        }
        ServerSocketChannel server = null;
        try
        {
            Files.createDirectories(path.getParent());
            Files.deleteIfExists(path);
            // Frames of every pod go through here: only the owner (root, as up runs) may connect.
            server = UnixSockets.bindOwnerOnly(path);
        }
        catch (final IOException | RuntimeException failed)
        {
            Closeables.closeQuietly(server);
            throw new UncheckedIOException("cannot open the capture socket " + path + ": " + failed.getMessage(),
                failed instanceof final IOException io ? io : new IOException(failed));
        }
        final CaptureServer captures = new CaptureServer(path, server, pods, tunnels, maxConnections);
        captures.acceptor.start();
        return captures;
    }

    public Path path()
    {
        return path;
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final SocketChannel client;
            try
            {
                client = server.accept();
            }
            catch (final IOException closedOrFailed)
            {
                if (closed)
                {
                    return;
                }
                LockSupport.parkNanos(10_000_000);
                continue;
            }
            if (!admit())
            {
                // Answered from here: the socket's send buffer is empty, so one short line cannot block.
                CaptureProtocol.writeLine(client, CaptureProtocol.ERROR + " " + tooMany());
                Closeables.closeQuietly(client);
                continue;
            }
            try
            {
                Thread.ofPlatform().daemon(true).name("psw-capture-client").start(() -> serve(client));
            }
            catch (final RuntimeException | OutOfMemoryError noThread)
            {
                release();
                Closeables.closeQuietly(client);
            }
        }
    }

    private synchronized boolean admit()
    {
        if (connections >= maxConnections)
        {
            return false;
        }
        connections++;
        return true;
    }

    private synchronized void release()
    {
        connections--;
    }

    /** How many connections hold a slot now (tests). */
    synchronized int connections()
    {
        return connections;
    }

    private String tooMany()
    {
        return "too many captures at once (at most " + MAX_CONNECTIONS + ", counting connections still asking); "
            + "stop one and try again";
    }

    /** One admitted connection: read the request, answer, then stream until either side ends it. */
    private void serve(final SocketChannel client)
    {
        try
        {
            serveAdmitted(client);
        }
        finally
        {
            release();
        }
    }

    private void serveAdmitted(final SocketChannel client)
    {
        final ScheduledFuture<?> timeout = timer.schedule(() -> Closeables.closeQuietly(client), REQUEST_TIMEOUT_S, TimeUnit.SECONDS);
        final String request;
        try
        {
            request = CaptureProtocol.readLine(client);
        }
        catch (final IOException failed)
        {
            Closeables.closeQuietly(client);
            return;
        }
        finally
        {
            timeout.cancel(false);
        }
        final CaptureSession session;
        try
        {
            session = open(request, client);
        }
        catch (final RequestException refused)
        {
            CaptureProtocol.writeLine(client, CaptureProtocol.ERROR + " " + refused.getMessage());
            Closeables.closeQuietly(client);
            return;
        }
        session.run();
    }

    private CaptureSession open(final String request, final SocketChannel client) throws RequestException
    {
        if (request == null)
        {
            throw new RequestException("no request (expected: capture pod NS/POD | capture tunnel NODE)");
        }
        final String[] words = request.strip().split("\\s+");
        if (words.length != 3 || !words[0].equals(CaptureProtocol.CAPTURE)
            || !(words[1].equals(CaptureProtocol.POD) || words[1].equals(CaptureProtocol.TUNNEL)))
        {
            throw new RequestException("cannot read the request \"" + request.strip()
                + "\" (expected: capture pod NS/POD | capture tunnel NODE)");
        }
        final Target target = words[1].equals(CaptureProtocol.POD) ? pod(words[2]) : tunnel(words[2]);
        final String key = target.node() + "#" + target.portId();
        synchronized (this)
        {
            if (closed)
            {
                throw new RequestException("the lab is stopping");
            }
            // A capture that was just stopped may still be ending: give it a moment to free the port.
            final long deadline = System.nanoTime() + BUSY_WAIT_NS;
            while (capturedPorts.contains(key) && !closed && deadline - System.nanoTime() > 0)
            {
                try
                {
                    wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                }
                catch (final InterruptedException interrupted)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (closed)
            {
                throw new RequestException("the lab is stopping");
            }
            if (capturedPorts.contains(key))
            {
                throw new RequestException(target.label() + " is being captured already (one capture per port at a "
                    + "time; stop the other capture first)");
            }
            final CaptureSession session = new CaptureSession(target, key, client, this::ended);
            capturedPorts.add(key);
            sessions.add(session);
            // Answer before mirroring: the client learns the port first, then records follow.
            if (!CaptureProtocol.writeLine(client, CaptureProtocol.OK + " " + target.portName() + " on " + target.node()))
            {
                capturedPorts.remove(key);
                sessions.remove(session);
                Closeables.closeQuietly(client);
                throw new RequestException("the client went away");
            }
            target.datapath().mirror(target.portId(), session.queue());
            return session;
        }
    }

    private Target pod(final String name) throws RequestException
    {
        final Map<String, Target> pods = this.pods.get();
        Target target = pods.get(name);
        if (target == null && !name.contains("/"))
        {
            target = pods.get("default/" + name);
        }
        if (target == null)
        {
            final List<String> podNames = pods.keySet().stream().filter(each -> each.contains("/")).toList();
            final List<String> hostNames = pods.keySet().stream().filter(each -> !each.contains("/")).toList();
            throw new RequestException("no pod " + name + " here; the pods: " + String.join(", ", podNames)
                + (hostNames.isEmpty() ? "" : "; the hosts: " + String.join(", ", hostNames)));
        }
        return target;
    }

    private Target tunnel(final String node) throws RequestException
    {
        final Map<String, Target> tunnels = this.tunnels.get();
        final Target target = tunnels.get(node);
        if (target == null)
        {
            throw new RequestException("no node " + node + " with a tunnel port in this lab; its nodes: "
                + String.join(", ", tunnels.keySet()));
        }
        return target;
    }

    private synchronized void ended(final CaptureSession session)
    {
        sessions.remove(session);
        capturedPorts.remove(session.key());
        notifyAll();
    }

    /** Ends every capture (each client reads why, then EOF) and removes the socket file. */
    @Override
    public void close()
    {
        final List<CaptureSession> running;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            running = List.copyOf(sessions);
        }
        Closeables.closeQuietly(server);
        running.forEach(session -> session.stop("the lab is stopping"));
        for (final CaptureSession session : running)
        {
            try
            {
                session.thread().join(SESSION_JOIN_MS);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
                break;
            }
            if (session.thread().isAlive())
            {
                // Stuck writing to a client that reads nothing: cut it off.
                Closeables.closeQuietly(session.client());
            }
        }
        timer.shutdownNow();
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignored)
        {
            // podswitch down removes a stale socket file.
        }
    }

    private static final class RequestException extends Exception
    {
        RequestException(final String message)
        {
            super(message, null, false, false);
        }
    }
}
