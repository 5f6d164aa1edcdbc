package dev.podswitch.multihost;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd (Debian's etcd-server) for the multi-host tests: its own data directory, its client
 * URL on an address of the test's bridge. It can be stopped and started again on the same data, as
 * an outage does, and only the process this class started is ever stopped.
 */
final class EtcdProcess implements AutoCloseable
{
    static final Path BINARY = Path.of("/usr/bin/etcd");
    private final Path dataDirectory;
    private final String address;
    private final int clientPort;
    private final Path log;
    private Process process;

    EtcdProcess(final Path work, final String address, final int clientPort)
    {
        this.dataDirectory = work.resolve("etcd-data");
        this.address = address;
        this.clientPort = clientPort;
        this.log = work.resolve("etcd.log");
    }

    String url()
    {
        return "http://" + address + ":" + clientPort;
    }

    /** Starts etcd and waits until its client port accepts connections. */
    EtcdProcess start() throws IOException, InterruptedException
    {
        process = new ProcessBuilder(List.of(BINARY.toString(), "--name", "psmh-etcd", "--data-dir", dataDirectory.toString(),
            "--listen-client-urls", url(), "--advertise-client-urls", url(),
            "--listen-peer-urls", "http://127.0.0.1:" + (clientPort + 10),
            "--initial-advertise-peer-urls", "http://127.0.0.1:" + (clientPort + 10),
            "--initial-cluster", "psmh-etcd=http://127.0.0.1:" + (clientPort + 10)))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline)
        {
            if (!process.isAlive())
            {
                throw new IllegalStateException("etcd ended at start: " + Files.readString(log));
            }
            try (Socket probe = new Socket())
            {
                probe.connect(new InetSocketAddress(address, clientPort), 200);
                return this;
            }
            catch (final IOException notYet)
            {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("etcd did not listen on " + url() + " within 20 s: " + Files.readString(log));
    }

    /** SIGTERM, as an operator's stop. */
    void stop() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() throws InterruptedException
    {
        stop();
    }
}
