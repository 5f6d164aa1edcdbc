package dev.podswitch.datastore;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real single-member etcd for tests: {@code /usr/bin/etcd} (Debian's etcd-server) on free
 * loopback ports with a data directory of its own, so tests exercise the transactions, leases,
 * watches and compactions podswitch relies on rather than a fake of them. One per test class is
 * plenty; tests keep apart by using a prefix each ({@link EtcdPerClass} arranges both).
 *
 * <p>Missing etcd skips the tests on a workstation, but fails them in CI ({@code CI=true}), where a
 * silently skipped datastore suite would look like a passing one.
 */
public final class EtcdServer implements AutoCloseable
{
    public static final Path ETCD = Path.of("/usr/bin/etcd");
    public static final String NOT_INSTALLED = "etcd-server not installed (apt-get install etcd-server)";

    /** How long etcd may take to answer after (re)starting. */
    private static final Duration READY = Duration.ofSeconds(15);
    private static final Duration STOP = Duration.ofSeconds(10);
    private static final AtomicInteger SERVERS = new AtomicInteger();

    private final Path directory;
    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Thread reaper;
    private Process process;

    private EtcdServer(final Path directory, final String name, final int clientPort, final int peerPort)
    {
        this.directory = directory;
        this.name = name;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        // A JVM that dies before @AfterAll (a surefire timeout) must not leave etcd running.
        this.reaper = new Thread(this::kill, name + "-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts a fresh etcd and waits until it answers; skips (or fails in CI) when etcd is not installed. */
    public static EtcdServer start() throws IOException, InterruptedException
    {
        requireInstalled();
        final Path directory = Files.createTempDirectory("podswitch-etcd-");
        final String name = "podswitch-test-" + ProcessHandle.current().pid() + "-" + SERVERS.incrementAndGet();
        final EtcdServer server = new EtcdServer(directory, name, freePort(), freePort());
        try
        {
            server.launch();
            return server;
        }
        catch (final IOException | InterruptedException | RuntimeException failed)
        {
            server.close();
            throw failed;
        }
    }

    /** Skips the calling test (class) when etcd is missing, or fails it in CI. */
    public static void requireInstalled()
    {
        if (Files.isExecutable(ETCD))
        {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI")))
        {
            throw new IllegalStateException(NOT_INSTALLED + ": CI=true, so the datastore tests must not be skipped");
        }
        Assumptions.abort(NOT_INSTALLED);
    }

    public URI clientUrl()
    {
        return URI.create("http://127.0.0.1:" + clientPort);
    }

    public EtcdEndpoints endpoints()
    {
        return new EtcdEndpoints(List.of(clientUrl()));
    }

    /** A client of this etcd under {@code prefix}; the caller closes it. */
    public Datastore connect(final String prefix)
    {
        return Datastore.connect(endpoints(), new DatastoreKeys(prefix));
    }

    /** etcd's own log, for a failing test's message. */
    public Path log()
    {
        return directory.resolve("etcd.log");
    }

    /** Whether the etcd process is running. */
    public synchronized boolean running()
    {
        return process != null && process.isAlive();
    }

    /** SIGTERM and wait: a clean shutdown, the data directory kept for {@link #restart()}. */
    public synchronized void stop() throws InterruptedException
    {
        if (process == null)
        {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly().waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS);
        }
        process = null;
    }

    /** SIGKILL: a crash; the data directory is kept for {@link #restart()}. */
    public synchronized void kill()
    {
        if (process == null)
        {
            return;
        }
        process.destroyForcibly();
        try
        {
            process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts etcd again on the same data directory and ports (stopping it first if it runs). */
    public synchronized void restart() throws IOException, InterruptedException
    {
        stop();
        launch();
    }

    /** etcd's current revision (a read of a key no test uses answers with the store's revision). */
    public long revision() throws DatastoreException
    {
        try (Datastore probe = connect("/podswitch-test-probe/"))
        {
            return probe.list().revision();
        }
    }

    /**
     * Compacts etcd's history up to {@code revision}: a watch from an older revision is then
     * cancelled as compacted. Through jetcd directly (podswitch itself never compacts), so the tests
     * need no etcdctl.
     */
    public void compact(final long revision) throws IOException
    {
        try (Client client = Client.builder().endpoints(clientUrl()).build())
        {
            client.getKVClient().compact(revision).get(READY.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException | TimeoutException failed)
        {
            throw new IOException("compacting etcd at " + clientUrl() + " to revision " + revision + " failed", failed);
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted compacting etcd", interrupted);
        }
    }

    /** Compacts at the current revision; the revision compacted at. */
    public long compactNow() throws IOException
    {
        final long revision = revision();
        compact(revision);
        return revision;
    }

    /** Stops etcd and deletes its data directory. */
    @Override
    public synchronized void close()
    {
        try
        {
            stop();
        }
        catch (final InterruptedException interrupted)
        {
            kill();
            Thread.currentThread().interrupt();
        }
        try
        {
            Runtime.getRuntime().removeShutdownHook(reaper);
        }
        catch (final IllegalStateException shuttingDown)
        {
            // The hook is running or about to; it finds no process.
        }
        deleteRecursively(directory);
    }

    private synchronized void launch() throws IOException, InterruptedException
    {
        final String peerUrl = "http://127.0.0.1:" + peerPort;
        final List<String> command = List.of(ETCD.toString(),
            "--name", name,
            "--data-dir", directory.resolve("data").toString(),
            "--listen-client-urls", clientUrl().toString(),
            "--advertise-client-urls", clientUrl().toString(),
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", name + "=" + peerUrl,
            // etcd's shortest lease is 1.5 election timeouts, rounded up to whole seconds: with these
            // values a 1 s TTL stays 1 s (the defaults make it 2 s), so expiry tests are quick.
            "--heartbeat-interval", "25",
            "--election-timeout", "250",
            "--logger", "zap",
            "--log-outputs", "stderr");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        process = builder.start();
        awaitReady();
    }

    /** Bounded: a TCP connect, then a real read through the client podswitch uses. */
    private void awaitReady() throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + READY.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline)
        {
            if (!process.isAlive())
            {
                throw new IOException("etcd exited with " + process.exitValue() + " while starting; its log:\n" + logTail());
            }
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", clientPort), 500);
                try (Datastore probe = connect("/podswitch-test-probe/"))
                {
                    probe.list();
                    return;
                }
            }
            catch (final IOException notYet)
            {
                last = notYet;
                Thread.sleep(50);
            }
        }
        throw new IOException("etcd did not answer on " + clientUrl() + " within " + READY.toSeconds() + " s (" + last
            + "); its log:\n" + logTail());
    }

    private String logTail()
    {
        try
        {
            final List<String> lines = Files.readAllLines(log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }
        catch (final IOException unreadable)
        {
            return "(unreadable: " + unreadable.getMessage() + ")";
        }
    }

    /** A port free now; etcd binds it a moment later (a clash shows as etcd exiting, with its log). */
    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket())
        {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(final Path root)
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException("could not delete " + root, failed);
        }
    }
}
