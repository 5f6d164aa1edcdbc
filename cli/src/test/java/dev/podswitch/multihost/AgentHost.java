package dev.podswitch.multihost;

import dev.podswitch.cli.Main;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One "host" of the multi-host tests: a network namespace on the test's bridge, with its own
 * {@code podswitch agent --etcd} process run in it ({@code ip netns exec}) on this test's class
 * path, its own state directory, sockets and CNI plugin install. The agent can be killed with -9
 * and started again over the same state; only processes this class started are ever stopped.
 */
final class AgentHost implements AutoCloseable
{
    private static final long START_TIMEOUT_SECONDS = 120;

    final String node;
    final String namespace;
    final String underlayAddress;
    final Path directory;
    final Path cniSocket;
    final Path apiSocket;
    private final String etcdUrl;
    private final String leaseTtl;
    private Process process;
    private int starts;

    AgentHost(final String node, final String namespace, final String underlayAddress, final Path directory,
        final String etcdUrl, final String leaseTtl)
    {
        this.node = node;
        this.namespace = namespace;
        this.underlayAddress = underlayAddress;
        this.directory = directory;
        this.cniSocket = directory.resolve("cni.sock");
        this.apiSocket = directory.resolve("api.sock");
        this.etcdUrl = etcdUrl;
        this.leaseTtl = leaseTtl;
    }

    Path bin()
    {
        return directory.resolve("bin");
    }

    Path conf()
    {
        return directory.resolve("conf");
    }

    /** Writes the plugin and its config as `podswitch cni install` does on a real machine. */
    void installPlugin()
    {
        final int exit = Main.commandLine().execute("cni", "install", "--bin-dir", bin().toString(), "--conf-dir",
            conf().toString(), "--socket", cniSocket.toString());
        if (exit != Main.EXIT_OK)
        {
            throw new IllegalStateException("cni install for " + node + " exited " + exit);
        }
    }

    /** Starts the agent process (not waiting). */
    void launch() throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"), Main.class.getName(), "agent",
            "--node", node, "--etcd", etcdUrl, "--underlay-address", underlayAddress, "--subnet-lease-ttl", leaseTtl,
            "--state-dir", directory.resolve("state").toString(), "--socket", cniSocket.toString(),
            "--api-socket", apiSocket.toString(), "--conf-dir", conf().toString()));
        starts++;
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
    }

    /** Waits until the agent's control API answers. */
    void awaitServing() throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (!answers(apiSocket))
        {
            if (!process.isAlive() || System.nanoTime() > deadline)
            {
                throw new IllegalStateException("agent " + node + " did not start (start " + starts + "): " + logText());
            }
            Thread.sleep(100);
        }
    }

    boolean isRunning()
    {
        return process != null && process.isAlive();
    }

    /** kill -9: no cleanup at all, as a crash. */
    void kill() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    Path log()
    {
        return directory.resolve("agent.log");
    }

    String logText()
    {
        try
        {
            return Files.exists(log()) ? Files.readString(log()) : "(no log)";
        }
        catch (final IOException unreadable)
        {
            return "(log unreadable: " + unreadable.getMessage() + ")";
        }
    }

    private static boolean answers(final Path socket)
    {
        if (!Files.exists(socket))
        {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        }
        catch (final IOException notYet)
        {
            return false;
        }
    }

    /** SIGTERM (pods keep their interfaces), then -9 if it will not stop. */
    @Override
    public void close() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                kill();
            }
        }
    }
}
