package dev.podswitch.cli;

import dev.podswitch.agent.api.ApiServer;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.agent.cni.CniConfigDirectory;
import dev.podswitch.agent.NodeAgent;
import dev.podswitch.agent.multihost.MultiHostOptions;
import dev.podswitch.datastore.ClusterConfigs;
import dev.podswitch.datastore.DatastoreException;
import dev.podswitch.datastore.DatastoreKeys;
import dev.podswitch.datastore.EtcdEndpoints;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.cni.PluginClient;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.load.ScenarioException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code podswitch agent}: the node agent the CNI plugin talks to, in the foreground. */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Run the node agent in the foreground (what a systemd unit or a DaemonSet starts; root): a cluster "
        + "live — the scenario given, or one node — serving the podswitch CNI plugin on a Unix socket. Logs to "
        + "stderr; SIGTERM or Ctrl-C stops it with its state kept (CNI pods keep their interfaces and IPs and are "
        + "re-attached by the next run).")
public final class AgentCommand implements Callable<Integer>
{
    public static final String DEFAULT_STATE_DIRECTORY = "/var/lib/podswitch";
    /** How long SIGTERM waits for the agent to close before the JVM ends anyway. */
    static final long SHUTDOWN_WAIT_S = 20;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = DEFAULT_STATE_DIRECTORY,
        description = "IPAM leases and CNI attachments, kept across restarts (default: ${DEFAULT-VALUE}).")
    private Path stateDirectory;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = PluginClient.DEFAULT_SOCKET,
        description = "The Unix socket the plugin connects to (default: ${DEFAULT-VALUE}).")
    private Path socket;

    @Option(names = "--api-socket", paramLabel = "PATH", defaultValue = NodeAgent.DEFAULT_API_SOCKET,
        description = "The control API's Unix socket, mode 0600 (default: ${DEFAULT-VALUE}); podswitch get/apply/"
            + "delete/label/status and curl --unix-socket talk to it.")
    private Path apiSocket;

    @Option(names = "--api-listen", paramLabel = "127.0.0.1:PORT",
        description = "Also serve the control API on this loopback TCP address; needs --api-token-file.")
    private String apiListen;

    @Option(names = "--api-token-file", paramLabel = "FILE",
        description = "The bearer token TCP clients must send (a file only its owner can read).")
    private Path apiTokenFile;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
        description = "Serve Prometheus metrics at http://HOST:PORT/metrics (data plane, policy, conntrack, CNI; "
            + "docs/observability.md). No authentication: use loopback or a network only Prometheus reaches.")
    private String metricsAddress;

    @Option(names = "--max-pods", paramLabel = "N", defaultValue = "100000",
        description = "Pods the agent's cluster model holds at most; more are refused (default: ${DEFAULT-VALUE}).")
    private int maxPods;

    @Option(names = "--max-policies", paramLabel = "N", defaultValue = "10000",
        description = "NetworkPolicies at most; an apply past it is refused, 403 (default: ${DEFAULT-VALUE}).")
    private int maxPolicies;

    @Option(names = "--max-namespaces", paramLabel = "N", defaultValue = "10000",
        description = "Namespaces at most (default: ${DEFAULT-VALUE}).")
    private int maxNamespaces;

    @Option(names = "--api-max-body", paramLabel = "BYTES", defaultValue = "1048576",
        description = "The largest control API request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    private int apiMaxBody;

    @Option(names = "--api-max-connections", paramLabel = "N", defaultValue = "64",
        description = "Control API connections at once; more get 503 (default: ${DEFAULT-VALUE}).")
    private int apiMaxConnections;

    @Option(names = "--max-captures", paramLabel = "N", defaultValue = "16",
        description = "Captures (and capture connections still asking) at once (default: ${DEFAULT-VALUE}).")
    private int maxCaptures;

    @Option(names = "--ring-slots", paramLabel = "N", defaultValue = "512",
        description = "Receive ring slots of the node, 64 KiB each, a power of two (default: ${DEFAULT-VALUE}: 32 MiB).")
    private int ringSlots;

    @Option(names = "--scenario", paramLabel = "FILE",
        description = "A scenario whose cluster (nodes, namespaces, pods, hosts) the agent brings up live; "
            + "default: one node, node-1, pod CIDR 10.244.0.0/24.")
    private Path scenario;

    @Option(names = "--conf-dir", paramLabel = "DIR",
        description = "The CNI config directory runtimes read (default: /etc/cni/net.d): the agent reports the "
            + "config in force as they would pick it, and refuses to start when that file is invalid.")
    private Path confDirectory = CniConfigDirectory.DEFAULT;

    @Option(names = "--underlay", paramLabel = "memory|udp|netty", defaultValue = "udp",
        description = "How nodes exchange VXLAN (default: ${DEFAULT-VALUE}).")
    private String underlay;

    @Option(names = "--idle", paramLabel = "busy-spin|yield|blocking", defaultValue = "blocking",
        description = "What an idle node thread does (default: ${DEFAULT-VALUE}).")
    private String idle;

    @Option(names = "--etcd", paramLabel = "URL[,URL...]",
        description = "Join the multi-host cluster kept in this etcd: the node's subnet is leased there, other nodes' "
            + "subnets, pods, namespaces and NetworkPolicies come from there (needs --node and --underlay-address). "
            + "Without it the agent is a single host with its state in --state-dir.")
    private String etcd;

    @Option(names = "--etcd-prefix", paramLabel = "PREFIX", defaultValue = DatastoreKeys.DEFAULT_PREFIX,
        description = "The cluster's key prefix in etcd (default: ${DEFAULT-VALUE}).")
    private String etcdPrefix;

    @Option(names = "--node", paramLabel = "NAME",
        description = "This host's node name in the etcd cluster (default: the host name).")
    private String node;

    @Option(names = "--underlay-address", paramLabel = "IP",
        description = "This host's address on the network between the hosts: its VTEP (UDP 4789), where other nodes "
            + "send its pods' VXLAN packets. Pods get that interface's MTU minus 50.")
    private String underlayAddress;

    @Option(names = "--subnet-lease-ttl", paramLabel = "DURATION", defaultValue = "24h",
        description = "The etcd lease of the node's subnet, renewed every third of it; a node gone for longer loses its "
            + "subnet and pods (default: ${DEFAULT-VALUE}; e.g. 30s, 10m, 24h).")
    private String subnetLeaseTtl;

    @Option(names = "--cluster-cidr", paramLabel = "CIDR",
        description = "With --etcd: the cluster CIDR if this agent is the first (default 10.244.0.0/16); must agree "
            + "with the cluster's when given.")
    private String clusterCidr;

    @Option(names = "--node-prefix-length", paramLabel = "N",
        description = "With --etcd: node subnet size if this agent is the first (default 24); must agree when given.")
    private Integer nodePrefixLength;

    @Option(names = "--vni", paramLabel = "N",
        description = "With --etcd: the VXLAN network identifier if this agent is the first (default 1); must agree "
            + "when given.")
    private Integer vni;

    /** The multi-host options, or null without --etcd; refuses the flags that only make sense with it. */
    MultiHostOptions multiHost() throws java.net.UnknownHostException
    {
        if (etcd == null)
        {
            if (node != null || underlayAddress != null || clusterCidr != null || nodePrefixLength != null || vni != null)
            {
                throw new IllegalArgumentException("--node, --underlay-address, --cluster-cidr, --node-prefix-length and "
                    + "--vni belong to a multi-host agent: give --etcd URL too");
            }
            return null;
        }
        if (underlayAddress == null)
        {
            throw new IllegalArgumentException("--etcd needs --underlay-address IP: the address other hosts reach this "
                + "one at (its VTEP)");
        }
        if (scenario != null)
        {
            throw new IllegalArgumentException("--scenario and --etcd both say what the cluster is; give one");
        }
        final String nodeName = node != null ? node : java.net.InetAddress.getLocalHost().getHostName();
        return new MultiHostOptions(EtcdEndpoints.parse(etcd), new DatastoreKeys(etcdPrefix), nodeName,
            Ipv4.parse(underlayAddress), Durations.parse("--subnet-lease-ttl", subnetLeaseTtl),
            new ClusterConfigs.Wanted(clusterCidr == null ? null : Ipv4Cidr.parse(clusterCidr), nodePrefixLength, vni));
    }

    @Override
    public Integer call() throws Exception
    {
        final String unavailable = LiveSupport.unavailableReason();
        if (unavailable != null)
        {
            System.err.println("podswitch: agent cannot run here: " + unavailable);
            return Main.EXIT_INVALID;
        }
        final ClusterOptions.Underlay chosenUnderlay;
        final IdleMode idleMode;
        try
        {
            chosenUnderlay = ClusterOptions.Underlay.valueOf(underlay.toUpperCase(Locale.ROOT));
            idleMode = IdleMode.ofLabel(idle);
        }
        catch (final IllegalArgumentException bad)
        {
            System.err.println("podswitch: " + bad.getMessage());
            return Main.EXIT_INVALID;
        }
        try
        {
            final CniConfigDirectory.InForce inForce = CniConfigDirectory.inForce(confDirectory);
            System.err.println(inForce == null
                ? "podswitch agent: no CNI config in " + confDirectory + " yet (podswitch cni install writes one)"
                : "podswitch agent: CNI config in force: " + inForce.file() + " (network \"" + inForce.name()
                    + "\", plugins " + inForce.plugins() + ", first in lexical order)"
                    + (inForce.podswitchFirst() ? "" : "; podswitch is not its first plugin, so runtimes will not call it"));
        }
        catch (final CniConfigDirectory.InvalidConfig invalid)
        {
            System.err.println("podswitch: the CNI config in force is invalid: " + invalid.getMessage());
            return Main.EXIT_INVALID;
        }
        final NodeAgent agent;
        try
        {
            // The API server refuses a non-loopback --api-listen itself, with a message.
            final NodeAgent.Options options = new NodeAgent.Options(stateDirectory, socket, apiSocket,
                HostPort.parse("--api-listen", apiListen), apiTokenFile, chosenUnderlay, idleMode, new NodeAgent.Limits(
                    new ClusterModel.Limits(maxNamespaces, maxPods, maxPolicies),
                    new ApiServer.Limits(apiMaxBody, apiMaxConnections, ApiServer.Limits.DEFAULT.readTimeoutSeconds()),
                    maxCaptures, ringSlots), multiHost(), HostPort.parse("--metrics-address", metricsAddress));
            agent = scenario == null ? NodeAgent.start(options, System.err)
                : NodeAgent.start(options, System.err, ScenarioCluster.live(ScenarioLoader.load(scenario), chosenUnderlay,
                    idleMode));
        }
        catch (final ScenarioException | IllegalArgumentException invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return Main.EXIT_INVALID;
        }
        catch (final DatastoreException unreachable)
        {
            System.err.println("podswitch: " + unreachable.getMessage());
            return 1;
        }
        catch (final java.net.BindException taken)
        {
            System.err.println("podswitch: " + taken.getMessage());
            return 1;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stopped.countDown();
            try
            {
                // Bounded: a teardown that hangs (a wedged device) must not keep SIGTERM from ending the JVM.
                if (!closed.await(SHUTDOWN_WAIT_S, TimeUnit.SECONDS))
                {
                    System.err.println("podswitch agent: stopping took more than " + SHUTDOWN_WAIT_S + " s; exiting anyway "
                        + "(CNI pods keep their interfaces; the next start re-attaches them)");
                }
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }, "psw-agent-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("podswitch agent: serving the CNI plugin on " + socket + " and the control API on " + apiSocket
            + (agent.api().tcpAddress() == null ? "" : " and " + agent.api().tcpAddress())
            + (agent.metrics() == null ? "" : "; Prometheus metrics on " + agent.metrics().url()) + "; state in " + stateDirectory
            + "; nodes " + agent.cluster().dataplane().nodes().keySet() + "; " + agent.attachments().all().size()
            + " CNI pod(s) attached");
        try
        {
            stopped.await();
            System.err.println("podswitch agent: stopping; CNI pods keep their interfaces and IPs");
        }
        finally
        {
            agent.close();
            closed.countDown();
        }
        return Main.EXIT_OK;
    }
}
