package dev.podswitch.agent.cni;

import dev.podswitch.cli.ScenarioCluster;
import dev.podswitch.scenarios.load.ScenarioLoader;

import dev.podswitch.agent.NodeAgent;
import dev.podswitch.agent.cni.CniInstaller;
import dev.podswitch.agent.cni.PluginProcess;

import com.fasterxml.jackson.databind.JsonNode;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.scenarios.live.LiveEndpoints;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node agent started in this JVM on a two-node cluster — scenario pods {@code default/web} on
 * node-1 and {@code default/api} on node-2, each serving TCP {@value #SERVED_PORT} — with the
 * plugin installed into temp directories the way {@code podswitch cni install} installs it, and
 * two network configs: {@link #network1} pins pods to node-1, {@link #network2} to node-2 (the
 * config's {@code node} field). Namespaces are {@code psw}-prefixed and made on demand; cnitool and
 * the plugin are run as a runtime runs them.
 *
 * <p>{@link #close} undoes everything, also after a failed test: DEL of every attachment still
 * recorded, the agent, the namespaces, cnitool's result cache entries of these networks
 * ({@code /var/lib/cni/results/NETWORK-…}) and the temp directory.
 */
final class CniLab implements AutoCloseable
{
    static final String NODE_1 = "node-1";
    static final String NODE_2 = "node-2";
    static final int SERVED_PORT = 8080;
    static final Path RESULT_CACHE = Path.of("/var/lib/cni/results");
    private static final String CLUSTER = """
        name: cnitool tests
        description: two nodes with one serving pod each, for pods attached through the CNI plugin
        cluster:
          nodes: [node-1, node-2]
        namespaces:
          default: {}
        pods:
          - {name: web, namespace: default, node: node-1, labels: {app: web}, ports: [{containerPort: 8080}]}
          - {name: api, namespace: default, node: node-2, labels: {app: api}, ports: [{containerPort: 8080}]}
        """;

    private record Attached(String network, String namespace, String ifName)
    {
    }

    final Path cnitool;
    final Path work;
    final Path state;
    final Path socket;
    /** The agent's control API socket. */
    final Path apiSocket;
    final Path bin;
    final Path conf;
    final Path plugin;
    /** {@code psw} + 8 hex digits: the prefix of this lab's network names. */
    final String tag;
    final String network1;
    final String network2;
    private final Path scenario;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final PrintStream logStream = new PrintStream(log, true, StandardCharsets.UTF_8);
    private final List<String> namespaces = new CopyOnWriteArrayList<>();
    private final Set<Attached> attached = ConcurrentHashMap.newKeySet();
    private volatile NodeAgent agent;

    private CniLab(final Path cnitool, final Path work) throws IOException
    {
        this.cnitool = cnitool;
        this.work = work;
        this.state = work.resolve("state");
        this.socket = work.resolve("run/cni.sock");
        this.apiSocket = work.resolve("run/api.sock");
        this.bin = work.resolve("bin");
        this.conf = work.resolve("net.d");
        this.plugin = bin.resolve(CniInstaller.PLUGIN);
        this.scenario = Files.writeString(work.resolve("cluster.yaml"), CLUSTER);
        // Unique per lab, so the result cache entries (NETWORK-CONTAINERID-IFNAME) can be told apart.
        this.tag = "psw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.network1 = tag + "-node-1";
        this.network2 = tag + "-node-2";
    }

    static CniLab start(final Path cnitool) throws Exception
    {
        final CniLab lab = new CniLab(cnitool, Files.createTempDirectory("psw-cni-"));
        try
        {
            lab.startAgent();
            CniInstaller.install(lab.bin, lab.conf, lab.socket, lab.network1, NODE_1,
                Path.of(System.getProperty("java.home")));
            Files.writeString(lab.conf.resolve("20-" + lab.network2 + ".conflist"),
                CniInstaller.conflist(lab.network2, NODE_2, 0));
            return lab;
        }
        catch (final Exception | Error failed)
        {
            lab.close();
            throw failed;
        }
    }

    void startAgent() throws Exception
    {
        agent = NodeAgent.start(new NodeAgent.Options(state, socket, apiSocket, null, null, ClusterOptions.Underlay.UDP,
            IdleMode.BLOCKING), logStream, ScenarioCluster.live(ScenarioLoader.load(scenario), ClusterOptions.Underlay.UDP,
            IdleMode.BLOCKING));
    }

    /** As a systemd stop: the agent goes, the CNI pods keep their interfaces and leases. */
    void stopAgent()
    {
        final NodeAgent running = agent;
        agent = null;
        if (running != null)
        {
            running.close();
        }
    }

    NodeAgent agent()
    {
        return agent;
    }

    String log()
    {
        return log.toString(StandardCharsets.UTF_8);
    }

    /** A new, empty network namespace (what a runtime makes for a pod sandbox). */
    String namespace()
    {
        final String name = "psw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        IpCommand.ip("netns", "add", name);
        namespaces.add(name);
        return name;
    }

    /** Deletes a namespace this lab made, as a runtime does when a sandbox goes (with or without DEL first). */
    void deleteNamespace(final String namespace)
    {
        IpCommand.ip("netns", "delete", namespace);
        namespaces.remove(namespace);
    }

    static String netns(final String namespace)
    {
        return NetworkNamespaces.NETNS_DIR + namespace;
    }

    /** {@code cnitool VERB NETWORK /var/run/netns/NAMESPACE} with this lab's plugin and config directories. */
    PluginProcess.Result cnitool(final String verb, final String network, final String namespace,
        final Map<String, String> env) throws Exception
    {
        final Map<String, String> all = new LinkedHashMap<>(Map.of("CNI_PATH", bin.toString(), "NETCONFPATH",
            conf.toString()));
        all.putAll(env);
        final PluginProcess.Result result = PluginProcess.run(List.of(cnitool.toString(), verb, network, netns(namespace)),
            all, "");
        if (verb.equals("add") && result.exitStatus() == 0)
        {
            attached.add(new Attached(network, namespace, env.getOrDefault("CNI_IFNAME", "eth0")));
        }
        if (verb.equals("del") && result.exitStatus() == 0)
        {
            attached.remove(new Attached(network, namespace, env.getOrDefault("CNI_IFNAME", "eth0")));
        }
        return result;
    }

    /** A successful {@code cnitool add}; returns its result. */
    JsonNode add(final String network, final String namespace, final String cniArgs) throws Exception
    {
        final PluginProcess.Result result = cnitool("add", network, namespace,
            cniArgs == null ? Map.of() : Map.of("CNI_ARGS", cniArgs));
        assertEquals(0, result.exitStatus(), () -> result + "\nagent log:\n" + log());
        return result.json();
    }

    /** The address of a result's first IP, without its prefix length. */
    static String ipOf(final JsonNode result)
    {
        final String address = result.path("ips").get(0).path("address").asText();
        return address.substring(0, address.indexOf('/'));
    }

    /** The installed plugin, exec'd directly (for what cnitool cannot send: GC, STATUS, broken input). */
    PluginProcess.Result plugin(final Map<String, String> env, final String stdin) throws Exception
    {
        return PluginProcess.run(plugin, env, stdin);
    }

    Ipv4Cidr podCidr(final String node)
    {
        return agent.cluster().dataplane().nodes().get(node).podCidr();
    }

    /** A scenario pod's IP (scenario pods get new IPs when the agent restarts: read it again then). */
    String scenarioPodIp(final String name)
    {
        return agent.cluster().model().snapshot().pods().get("default/" + name).ipText();
    }

    /** The network namespace the agent made for a scenario pod. */
    String scenarioPodNamespace(final String name)
    {
        return ((LiveEndpoints)((dev.podswitch.scenarios.run.Lab)agent.cluster().owner()).endpoints()).members().get("default/" + name).namespace();
    }

    @Override
    public void close()
    {
        final List<Throwable> failures = new ArrayList<>();
        if (agent != null)
        {
            for (final Attached left : attached)
            {
                run(failures, () -> cnitool("del", left.network(), left.namespace(), Map.of("CNI_IFNAME", left.ifName())));
            }
        }
        run(failures, () ->
        {
            stopAgent();
            return null;
        });
        for (final String namespace : namespaces)
        {
            run(failures, () -> IpCommand.ip("netns", "delete", namespace));
        }
        run(failures, () ->
        {
            deleteCacheEntries();
            return null;
        });
        run(failures, () ->
        {
            deleteTree(work);
            return null;
        });
        if (!failures.isEmpty())
        {
            final IllegalStateException error = new IllegalStateException("cleanup failed: " + failures.getFirst());
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    private interface Step
    {
        Object run() throws Exception;
    }

    private static void run(final List<Throwable> failures, final Step step)
    {
        try
        {
            step.run();
        }
        catch (final Exception | Error failed)
        {
            failures.add(failed);
        }
    }

    /** cnitool's cache of ADD results (every network of this lab starts with its tag); a failed test may leave them. */
    private void deleteCacheEntries() throws IOException
    {
        if (!Files.isDirectory(RESULT_CACHE))
        {
            return;
        }
        try (Stream<Path> entries = Files.list(RESULT_CACHE))
        {
            for (final Path entry : entries.toList())
            {
                final String name = entry.getFileName().toString();
                if (name.startsWith(tag + "-"))
                {
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    /** Cache entries of this lab's networks still in cnitool's cache (each is one ADD not yet deleted). */
    List<String> cacheEntries() throws IOException
    {
        if (!Files.isDirectory(RESULT_CACHE))
        {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(RESULT_CACHE))
        {
            return entries.map(entry -> entry.getFileName().toString())
                .filter(name -> name.startsWith(tag + "-")).sorted().toList();
        }
    }

    private static void deleteTree(final Path root) throws IOException
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
    }
}
