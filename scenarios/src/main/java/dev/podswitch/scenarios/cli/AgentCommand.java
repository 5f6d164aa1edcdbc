package dev.podswitch.scenarios.cli;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.cni.CniConfigDirectory;
import dev.podswitch.scenarios.cni.NodeAgent;
import dev.podswitch.scenarios.cni.PluginClient;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.load.ScenarioException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code podswitch agent}: the node agent the CNI plugin talks to, in the foreground. */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Run the node agent in the foreground (what a systemd unit or a DaemonSet starts; root): a cluster "
        + "live — the scenario given, or one node — serving the podswitch CNI plugin on a Unix socket. Logs to "
        + "stderr; SIGTERM or Ctrl-C stops it with its state kept (CNI pods keep their interfaces and IPs and are "
        + "re-attached by the next run).")
public final class AgentCommand implements Callable<Integer>
{
    public static final String DEFAULT_STATE_DIRECTORY = "/var/lib/podswitch";

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = DEFAULT_STATE_DIRECTORY,
        description = "IPAM leases and CNI attachments, kept across restarts (default: ${DEFAULT-VALUE}).")
    private Path stateDirectory;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = PluginClient.DEFAULT_SOCKET,
        description = "The Unix socket the plugin connects to (default: ${DEFAULT-VALUE}).")
    private Path socket;

    @Option(names = "--scenario", paramLabel = "FILE",
        description = "A scenario whose cluster (nodes, namespaces, pods, hosts) the agent brings up live; "
            + "default: one node, node-1, pod CIDR 10.244.0.0/24.")
    private Path scenario;

    @Option(names = "--conf-dir", paramLabel = "DIR",
        description = "The CNI config directory runtimes read (default: /etc/cni/net.d): the agent reports the "
            + "config in force as they would pick it, and refuses to start when that file is invalid.")
    private Path confDirectory = CniConfigDirectory.DEFAULT;

    @Option(names = "--underlay", paramLabel = "memory|udp", defaultValue = "udp",
        description = "How nodes exchange VXLAN (default: ${DEFAULT-VALUE}).")
    private String underlay;

    @Option(names = "--idle", paramLabel = "busy-spin|yield|blocking", defaultValue = "blocking",
        description = "What an idle node thread does (default: ${DEFAULT-VALUE}).")
    private String idle;

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
            agent = NodeAgent.start(new NodeAgent.Options(stateDirectory, socket, scenario, chosenUnderlay, idleMode),
                System.err);
        }
        catch (final ScenarioException invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return Main.EXIT_INVALID;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stopped.countDown();
            try
            {
                closed.await();
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }, "psw-agent-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("podswitch agent: serving the CNI plugin on " + socket + "; state in " + stateDirectory
            + "; nodes " + agent.lab().cluster().nodes().keySet() + "; " + agent.attachments().all().size()
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
