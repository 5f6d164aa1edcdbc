package dev.podswitch.cli;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.live.LiveMode;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.load.ScenarioException;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.report.FlowsFile;
import dev.podswitch.scenarios.report.HtmlReport;
import dev.podswitch.scenarios.report.HumanReport;
import dev.podswitch.scenarios.report.JsonReport;
import dev.podswitch.scenarios.report.Style;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.ScenarioRunner;
import dev.podswitch.scenarios.run.UnsupportedScenarioException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code podswitch run FILE...}: runs scenarios and compares every probe with its expectation. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run scenario files in the emulated mode: build the cluster, apply each step, send every probe "
        + "as real traffic through the switch, and compare with the expectations.")
public final class RunCommand implements Callable<Integer>
{
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Scenario files (YAML, see docs/scenarios.md).")
    private List<Path> files;

    @Option(names = "--json", description = "Print one JSON document with every probe instead of the human report.")
    private boolean json;

    @Option(names = "--live", description = "Run with real network namespaces, TAP devices and kernel stacks (root); "
        + "SCTP through a userspace handshake responder where the kernel has no SCTP. --threads 0 means one node "
        + "thread per node, at most 2.")
    private boolean live;

    @Option(names = "--report", paramLabel = "FILE.html", description = "Also write an HTML report.")
    private Path report;

    @Option(names = "--flows", paramLabel = "FILE.jsonl",
        description = "Also write the nodes' flow logs, step by step: one JSON object a line, as `podswitch observe "
            + "-o json` prints them, each with its scenario and step.")
    private Path flows;

    @Option(names = "--underlay", paramLabel = "memory|udp|netty", defaultValue = "udp",
        description = "How nodes exchange VXLAN: udp = real UDP sockets on loopback (default), memory = in-process, "
            + "netty = UDP through Netty's transport (the portable fallback).")
    private String underlay;

    @Option(names = "--capture", paramLabel = "DIR",
        description = "Write one pcap per node into DIR (<scenario>.<node>.pcap): every frame each node received.")
    private Path captureDirectory;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
        description = "Node agent threads: 0 = every node on the runner's thread (default, deterministic); "
            + "N = nodes spread round-robin over N threads (at most one per node).")
    private int threads;

    @Option(names = "--idle", paramLabel = "busy-spin|yield|blocking", defaultValue = "blocking",
        description = "What an idle node thread does: blocking = spin, yield, then park up to 1 ms (default); "
            + "yield = Thread.yield; busy-spin = spin (needs a free core per thread).")
    private String idle;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintStream err = System.err;
        if (live)
        {
            final String unavailable = LiveSupport.unavailableReason();
            if (unavailable != null)
            {
                err.println("podswitch: --live cannot run here: " + unavailable
                    + "; run without --live for the emulated mode, which gives the same verdicts");
                return Main.EXIT_INVALID;
            }
            if (captureDirectory != null)
            {
                err.println("podswitch: --capture is for the emulated mode; in --live, capture inside a pod: "
                    + "ip netns exec <namespace> tcpdump -i <namespace>");
                return Main.EXIT_INVALID;
            }
        }
        final ClusterOptions.Underlay chosen;
        try
        {
            chosen = ClusterOptions.Underlay.valueOf(underlay.toUpperCase(java.util.Locale.ROOT));
        }
        catch (final IllegalArgumentException bad)
        {
            err.println("podswitch: --underlay " + underlay + " is not one of: memory, udp");
            return Main.EXIT_INVALID;
        }
        if (threads < 0)
        {
            err.println("podswitch: --threads " + threads + " is negative: use 0 to run every node on the runner's "
                + "thread, or N >= 1 for N node threads");
            return Main.EXIT_INVALID;
        }
        final IdleMode idleMode;
        try
        {
            idleMode = IdleMode.ofLabel(idle);
        }
        catch (final IllegalArgumentException bad)
        {
            err.println("podswitch: --idle " + idle + " is not one of: busy-spin, yield, blocking");
            return Main.EXIT_INVALID;
        }
        final List<Scenario> scenarios = new ArrayList<>();
        for (final Path file : files)
        {
            try
            {
                scenarios.add(ScenarioLoader.load(file));
            }
            catch (final ScenarioException invalid)
            {
                err.println("podswitch: " + invalid.getMessage());
                return Main.EXIT_INVALID;
            }
        }
        if (live)
        {
            try
            {
                // Before anything runs: a scenario the live mode cannot answer is refused, never half run.
                scenarios.forEach(LiveSupport::requireSupported);
            }
            catch (final UnsupportedScenarioException unsupported)
            {
                err.println("podswitch: " + unsupported.getMessage());
                return Main.EXIT_INVALID;
            }
        }
        return runAll(scenarios, chosen, idleMode, err);
    }

    private int runAll(final List<Scenario> scenarios, final ClusterOptions.Underlay chosen, final IdleMode idleMode,
        final PrintStream err)
    {
        final PrintStream out = System.out;
        final List<ScenarioResult> results = new ArrayList<>();
        final HtmlReport html = report == null ? null : new HtmlReport();
        long flowsWritten = 0;
        for (final Scenario scenario : scenarios)
        {
            final HumanReport human = json ? null : new HumanReport(out, Style.forConsole());
            try (FlowsFile flowsFile = flows == null ? null : FlowsFile.open(flows, scenario.name(), !results.isEmpty()))
            {
                if (human != null)
                {
                    human.scenarioStarted(scenario);
                }
                if (html != null)
                {
                    html.scenarioStarted(scenario);
                }
                final RunListener forHumans = human == null ? RunListener.NONE : human;
                final RunListener reported = html == null ? forHumans : RunListener.both(forHumans, html);
                final RunListener listener = flowsFile == null ? reported : RunListener.both(reported, flowsFile);
                final ScenarioRunner runner = live ? LiveMode.runner(scenario, chosen, threads, idleMode, listener)
                    : new ScenarioRunner(chosen, threads, idleMode, listener);
                if (captureDirectory != null)
                {
                    runner.capturingTo(captureDirectory, err);
                }
                final ScenarioResult result = runner.run(scenario);
                results.add(result);
                flowsWritten += flowsFile == null ? 0 : flowsFile.written();
                if (html != null)
                {
                    html.scenarioFinished(result);
                }
                if (human != null)
                {
                    human.finished(result);
                    out.println();
                }
            }
            catch (final UnsupportedScenarioException | IllegalArgumentException | java.io.UncheckedIOException unsupported)
            {
                err.println("podswitch: " + unsupported.getMessage());
                return Main.EXIT_INVALID;
            }
            catch (final IllegalStateException liveFailed)
            {
                if (!live)
                {
                    throw liveFailed;
                }
                err.println("podswitch: the live lab failed: " + liveFailed.getMessage());
                return Main.EXIT_INVALID;
            }
            catch (final java.io.IOException cannotWrite)
            {
                err.println("podswitch: cannot write the flows file " + flows + ": " + cannotWrite.getMessage());
                return Main.EXIT_INVALID;
            }
        }
        if (flows != null)
        {
            err.println("podswitch: wrote " + flowsWritten + " flows to " + flows.toAbsolutePath());
        }
        if (json)
        {
            out.println(JsonReport.render(results));
        }
        if (html != null)
        {
            try
            {
                html.write(report);
                err.println("podswitch: wrote " + report.toAbsolutePath());
            }
            catch (final java.io.IOException failed)
            {
                err.println("podswitch: cannot write the report " + report + ": " + failed.getMessage());
                return Main.EXIT_INVALID;
            }
        }
        return results.stream().anyMatch(result -> result.mismatches() > 0) ? Main.EXIT_MISMATCH : Main.EXIT_OK;
    }

    /** Lets {@code demo} reuse the run path with its bundled file. */
    static RunCommand of(final Path file)
    {
        final RunCommand command = new RunCommand();
        command.files = List.of(file);
        command.underlay = "udp";
        command.idle = ClusterOptions.DEFAULT_IDLE.label();
        return command;
    }
}
