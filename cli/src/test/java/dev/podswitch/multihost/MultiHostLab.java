package dev.podswitch.multihost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.cli.Main;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.scenarios.live.LiveSupport;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The multi-host test topology, all of it real and made by the test: a Linux bridge
 * ({@code psmh-br}, 10.79.0.1/24) standing for the network between machines, etcd on the bridge's
 * address, and N "hosts" — network namespaces {@code psmh-hN} on the bridge at 10.79.0.1N, each
 * running its own {@code podswitch agent --etcd} process — with pods made by cnitool through each
 * host's own plugin install. Everything with the {@code psmh} prefix is removed on close, and any
 * left by a run that died is removed before the start.
 */
final class MultiHostLab implements AutoCloseable
{
    static final String PREFIX = "psmh";
    static final String BRIDGE = PREFIX + "-br";
    static final String BRIDGE_ADDRESS = "10.79.0.1";
    static final int ETCD_PORT = 23_793;
    static final Path CNITOOL = Path.of("/usr/local/bin/cnitool");
    static final int POD_PORT = 8080;

    /** A pod made through cnitool: its network namespace, host and IP. */
    record PodInfo(String name, String namespace, AgentHost host, String ip)
    {
    }

    final Path work;
    final EtcdProcess etcd;
    final List<AgentHost> hosts = new ArrayList<>();
    final Map<String, PodInfo> pods = new LinkedHashMap<>();
    private final List<Closeable> servers = new ArrayList<>();

    private MultiHostLab(final Path work)
    {
        this.work = work;
        this.etcd = new EtcdProcess(work, BRIDGE_ADDRESS, ETCD_PORT);
    }

    /** Fails under CI=true, skips elsewhere, when root, etcd, cnitool or ping is missing. */
    static void requirePrerequisites()
    {
        final String live = LiveSupport.unavailableReason();
        final String missing = live != null ? live
            : !Files.isExecutable(EtcdProcess.BINARY) ? "etcd is not installed (apt-get install etcd-server)"
            : !Files.isExecutable(CNITOOL) ? "cnitool is not installed at " + CNITOOL + " (.ci/build-cnitool.sh builds it)"
            : !onPath("ping") ? "ping is not installed (apt-get install iputils-ping)"
            : null;
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the multi-host tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "multi-host root test skipped: " + missing);
    }

    private static boolean onPath(final String program)
    {
        for (final String directory : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin").split(File.pathSeparator))
        {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, program)))
            {
                return true;
            }
        }
        return false;
    }

    /** The bridge, etcd and {@code hostCount} hosts with their agents started at once (they race for subnets). */
    static MultiHostLab start(final int hostCount, final String leaseTtl) throws Exception
    {
        removeLeftovers(hostCount + 1);
        final MultiHostLab lab = new MultiHostLab(Files.createTempDirectory("psmh-"));
        try
        {
            IpCommand.ip("link", "add", BRIDGE, "type", "bridge");
            IpCommand.ip("addr", "add", BRIDGE_ADDRESS + "/24", "dev", BRIDGE);
            IpCommand.ip("link", "set", BRIDGE, "up");
            lab.etcd.start();
            for (int i = 1; i <= hostCount; i++)
            {
                lab.hosts.add(lab.addHost(i, leaseTtl));
            }
            for (final AgentHost host : lab.hosts)
            {
                host.launch();
            }
            for (final AgentHost host : lab.hosts)
            {
                host.awaitServing();
            }
            return lab;
        }
        catch (final Exception | Error failed)
        {
            lab.close();
            throw failed;
        }
    }

    private AgentHost addHost(final int index, final String leaseTtl) throws IOException
    {
        final String namespace = PREFIX + "-h" + index;
        final String address = "10.79.0.1" + index;
        NetworkNamespaces.addOwned(namespace);
        IpCommand.ip("link", "add", PREFIX + "-h" + index + "a", "type", "veth", "peer", "name", PREFIX + "-h" + index + "b");
        IpCommand.ip("link", "set", PREFIX + "-h" + index + "b", "netns", namespace);
        IpCommand.ip("link", "set", PREFIX + "-h" + index + "a", "master", BRIDGE, "up");
        IpCommand.ip("-n", namespace, "addr", "add", address + "/24", "dev", PREFIX + "-h" + index + "b");
        IpCommand.ip("-n", namespace, "link", "set", PREFIX + "-h" + index + "b", "up");
        IpCommand.ip("-n", namespace, "link", "set", "lo", "up");
        final AgentHost host = new AgentHost("h" + index, namespace, address, Files.createDirectories(work.resolve("h" + index)),
            etcd.url(), leaseTtl);
        host.installPlugin();
        return host;
    }

    AgentHost host(final int index)
    {
        return hosts.get(index - 1);
    }

    /** The bridge side of a host's link: taking it down partitions that host from the others and etcd. */
    static String uplinkOf(final AgentHost host)
    {
        return PREFIX + "-" + host.node + "a";
    }

    /** {@code cnitool add} on {@code host} of pod default/NAME with {@code labels} (CNI_ARGS entries, e.g. PODSWITCH_POD_LABELS=app:web), serving TCP and UDP on {@link #POD_PORT}. */
    PodInfo addPod(final AgentHost host, final String name, final String labels) throws Exception
    {
        final String namespace = PREFIX + "-p-" + name;
        NetworkNamespaces.addOwned(namespace);
        final String args = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + name + (labels.isEmpty() ? "" : ";" + labels);
        final Process cnitool = new ProcessBuilder("ip", "netns", "exec", host.namespace, "env", "CNI_PATH=" + host.bin(),
            "NETCONFPATH=" + host.conf(), "CNI_ARGS=" + args, CNITOOL.toString(), "add", "podswitch",
            NetworkNamespaces.NETNS_DIR + namespace).redirectErrorStream(true).start();
        final byte[] output = cnitool.getInputStream().readAllBytes();
        if (!cnitool.waitFor(60, TimeUnit.SECONDS) || cnitool.exitValue() != 0)
        {
            throw new IllegalStateException("cnitool add " + name + " on " + host.node + " failed: "
                + new String(output, StandardCharsets.UTF_8) + "\nagent log:\n" + host.logText());
        }
        final JsonNode result = new ObjectMapper().readTree(output);
        final String ip = result.path("ips").path(0).path("address").asText().replaceAll("/.*", "");
        final PodInfo pod = new PodInfo(name, namespace, host, ip);
        pods.put(name, pod);
        servers.add(PodTraffic.serve(namespace, POD_PORT));
        return pod;
    }

    /** A CLI command run in this JVM, as a user types it; its exit status and what it printed. */
    record Cli(int exit, String out, String err)
    {
    }

    static synchronized Cli cli(final String... arguments)
    {
        final PrintStream savedOut = System.out;
        final PrintStream savedErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        try
        {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            final int exit = Main.commandLine().execute(arguments);
            return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    /** {@code podswitch get RESOURCE -o json} against etcd (null socket) or an agent's socket, parsed. */
    JsonNode getJson(final String resource, final AgentHost through) throws IOException
    {
        final Cli cli = through == null ? cli("get", resource, "-o", "json", "--etcd", etcd.url())
            : cli("get", resource, "-o", "json", "--socket", through.apiSocket.toString());
        if (cli.exit() != Main.EXIT_OK)
        {
            throw new IllegalStateException("get " + resource + " exited " + cli.exit() + ": " + cli.err());
        }
        return new ObjectMapper().readTree(cli.out());
    }

    /** Removes what a run that died left behind: namespaces and links of this prefix. */
    private static void removeLeftovers(final int hostCount)
    {
        for (final String namespace : IpCommand.ip("netns", "list").lines().map(line -> line.split(" ")[0]).toList())
        {
            if (namespace.startsWith(PREFIX + "-"))
            {
                quietly(() -> IpCommand.ip("netns", "del", namespace));
            }
        }
        for (int i = 1; i <= hostCount; i++)
        {
            final int index = i;
            quietly(() -> IpCommand.ip("link", "del", PREFIX + "-h" + index + "a"));
        }
        quietly(() -> IpCommand.ip("link", "del", BRIDGE));
    }

    private static void quietly(final Runnable step)
    {
        try
        {
            step.run();
        }
        catch (final RuntimeException absent)
        {
            // Nothing of that name: nothing to remove.
        }
    }

    @Override
    public void close() throws Exception
    {
        for (final Closeable server : servers)
        {
            server.close();
        }
        for (final PodInfo pod : pods.values())
        {
            quietly(() ->
            {
                try
                {
                    new ProcessBuilder("ip", "netns", "exec", pod.host().namespace, "env", "CNI_PATH=" + pod.host().bin(),
                        "NETCONFPATH=" + pod.host().conf(), "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod.name(),
                        CNITOOL.toString(), "del", "podswitch", NetworkNamespaces.NETNS_DIR + pod.namespace())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                        .waitFor(30, TimeUnit.SECONDS);
                }
                catch (final IOException | InterruptedException ignored)
                {
                    // The namespace goes below anyway, and the TAP with it.
                }
            });
        }
        for (final AgentHost host : hosts)
        {
            host.close();
        }
        etcd.close();
        removeLeftovers(hosts.size() + 1);
    }
}
