package dev.podswitch.cli;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.load.ScenarioException;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.UnsupportedScenarioException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code podswitch up FILE}: the scenario's pods as live namespaces, in the foreground until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Bring a scenario's cluster up live (root): every pod and host a network namespace behind the "
        + "switch, its declared TCP/UDP ports served, in the scenario's initial state (before any step: no "
        + "NetworkPolicy). Prints how to enter each pod and serves until Ctrl-C or SIGTERM, then tears it down.")
public final class UpCommand implements Callable<Integer>
{
    @Parameters(paramLabel = "FILE", description = "A scenario file (YAML, see docs/scenarios.md).")
    private Path file;

    @Option(names = "--underlay", paramLabel = "memory|udp|netty", defaultValue = "udp",
        description = "How nodes exchange VXLAN: udp = real UDP sockets on loopback (default), memory = in-process, "
            + "netty = UDP through Netty's transport (the portable fallback).")
    private String underlay;

    @Option(names = "--idle", paramLabel = "busy-spin|yield|blocking", defaultValue = "blocking",
        description = "What an idle node thread does: blocking (default) sleeps on an epoll set of its TAPs and tunnel "
            + "socket, woken by the kernel when a frame arrives; busy-spin never sleeps (lowest latency, a core per node "
            + "thread).")
    private String idle;

    @Option(names = "--state-dir", paramLabel = "DIR",
        description = "Where the lab's state file goes (default: $PODSWITCH_STATE_DIR, /run/podswitch as root, "
            + "else $XDG_RUNTIME_DIR/podswitch).")
    private Path stateDirectory;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
        description = "Serve Prometheus metrics of every node of the lab at http://HOST:PORT/metrics "
            + "(docs/observability.md). No authentication: use loopback.")
    private String metricsAddress;

    @Override
    public Integer call()
    {
        final String unavailable = LiveSupport.unavailableReason();
        if (unavailable != null)
        {
            System.err.println("podswitch: up cannot run here: " + unavailable);
            return Main.EXIT_INVALID;
        }
        final ClusterOptions.Underlay chosen;
        try
        {
            chosen = ClusterOptions.Underlay.valueOf(underlay.toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException bad)
        {
            System.err.println("podswitch: --underlay " + underlay + " is not one of: memory, udp");
            return Main.EXIT_INVALID;
        }
        final IdleMode idleMode;
        try
        {
            idleMode = IdleMode.ofLabel(idle);
        }
        catch (final IllegalArgumentException bad)
        {
            System.err.println("podswitch: --idle " + idle + " is not one of: busy-spin, yield, blocking");
            return Main.EXIT_INVALID;
        }
        final java.net.InetSocketAddress metrics;
        try
        {
            metrics = HostPort.parse("--metrics-address", metricsAddress);
        }
        catch (final IllegalArgumentException bad)
        {
            System.err.println("podswitch: " + bad.getMessage());
            return Main.EXIT_INVALID;
        }
        final Scenario scenario;
        try
        {
            scenario = ScenarioLoader.load(file);
        }
        catch (final ScenarioException invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return Main.EXIT_INVALID;
        }
        try
        {
            LiveUp.serve(scenario, chosen, idleMode, stateDirectory != null ? stateDirectory : LabStateFile.defaultDirectory(),
                metrics, System.out);
            return Main.EXIT_OK;
        }
        catch (final UnsupportedScenarioException | IllegalArgumentException | IllegalStateException
            | java.io.UncheckedIOException failed)
        {
            System.err.println("podswitch: up failed: " + failed.getMessage());
            return Main.EXIT_INVALID;
        }
    }
}
