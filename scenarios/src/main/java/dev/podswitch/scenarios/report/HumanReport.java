package dev.podswitch.scenarios.report;

import dev.podswitch.scenarios.model.HostSpec;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.Lab;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.StepResult;

import java.io.PrintStream;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The human output of a run, printed as it goes: the cluster as built (nodes with their pod
 * CIDRs, pods with their IPs), then each step's expectations and matrix with mismatches marked,
 * the source IP one cross-node receiver saw, and a summary with the data plane's frame accounting.
 */
public final class HumanReport implements RunListener
{
    /** Probes in a step from which a terminal shows their progress: live probes take a while each. */
    private static final int PROGRESS_FROM_PROBES = 100;

    private final PrintStream out;
    private final Style style;
    private int stepCount;
    private TerminalProgress probing;

    public HumanReport(final PrintStream out, final Style style)
    {
        this.out = out;
        this.style = style;
    }

    public void scenarioStarted(final Scenario scenario)
    {
        stepCount = scenario.steps().size();
        out.println(style.bold("Scenario: " + scenario.name()) + "   (" + scenario.file() + ")");
        if (scenario.description() != null)
        {
            scenario.description().strip().lines().forEach(line -> out.println("  " + line));
        }
        out.println();
    }

    @Override
    public void clusterBuilt(final ScenarioResult.NodeInfo[] nodes, final Lab lab)
    {
        final Table nodeTable = new Table("NODE", "POD CIDR", "GATEWAY", "VTEP");
        for (final ScenarioResult.NodeInfo node : nodes)
        {
            nodeTable.row(node.name(), node.podCidr(), node.gateway(), node.vtep());
        }
        out.println(style.bold("Nodes"));
        out.print(nodeTable.render("  "));
        out.println(style.bold("Pods"));
        out.print(podTable(lab).render("  "));
        if (!lab.hosts().isEmpty())
        {
            final Table hostTable = new Table("HOST", "IP", "ATTACHED TO", "SERVES");
            for (final HostSpec host : lab.hosts().values())
            {
                hostTable.row(host.name(), host.ip(), lab.nodeOf(host.name()), host.serves().stream()
                    .map(port -> port.protocol() + "/" + port.containerPort()).collect(Collectors.joining(",")));
            }
            out.println(style.bold("Hosts (outside the cluster, reached without NAT)"));
            out.print(hostTable.render("  "));
        }
        out.println();
    }

    private static Table podTable(final Lab lab)
    {
        final Table table = new Table("POD", "NODE", "IP", "LABELS");
        for (final PodSpec pod : lab.pods().values())
        {
            table.row(pod.key(), pod.node(), pod.ip(), labels(pod.labels()));
        }
        return table;
    }

    private static String labels(final Map<String, String> labels)
    {
        return labels.isEmpty() ? "-" : labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(","));
    }

    @Override
    public void probesProgress(final int done, final int total)
    {
        if (probing == null)
        {
            probing = TerminalProgress.onTerminal("probing", total, PROGRESS_FROM_PROBES);
        }
        probing.update(done);
        if (done >= total)
        {
            probing.finish();
            probing = null;
        }
    }

    @Override
    public void stepFinished(final int index, final StepResult step, final Lab lab)
    {
        out.println(style.bold("Step " + (index + 1) + "/" + stepCount + ": " + step.name()));
        for (final ProbeOutcome probe : step.probes().subList(0, step.probes().size() - step.matrixProbes().size()))
        {
            final String mark = probe.isMismatch() ? style.bad("✗") : style.good("✓");
            out.println("  " + mark + " " + probe.from() + " → " + probe.to() + "  " + probe.probeLabel() + "  "
                + verdict(probe.observed()) + (probe.isMismatch() ? style.bad("  (expected " + verdict(probe.expected()) + ")") : ""));
        }
        if (step.matrix() != null)
        {
            out.println("  " + step.matrix().protocol() + (step.matrix().protocol().hasPorts() ? "/" + step.matrix().port() : "")
                + " matrix, as observed (. allowed, X denied, - not probed, ! differs from the expectation):");
            out.print(MatrixRenderer.render(step, style, "    "));
        }
        for (final ProbeOutcome probe : step.matrixProbes())
        {
            if (probe.isMismatch())
            {
                out.println("  " + style.bad("✗") + " " + probe.from() + " → " + probe.to() + "  " + probe.probeLabel()
                    + ": expected " + verdict(probe.expected()) + ", observed " + verdict(probe.observed())
                    + " (answer: " + probe.answer() + ")");
            }
        }
        printNoNatExample(step, lab);
        out.println();
    }

    /** One allowed probe between pods on different nodes: what the receiver saw as the source. */
    private void printNoNatExample(final StepResult step, final Lab lab)
    {
        for (final ProbeOutcome probe : step.probes())
        {
            final String from = lab.nodeOf(probe.from());
            final String to = lab.nodeOf(probe.to());
            if (probe.observed() && from != null && to != null && !from.equals(to))
            {
                out.println("  no NAT: " + probe.from() + " (" + probe.sourceIp() + ", " + from + ") → "
                    + probe.to() + " (" + to + ") over VXLAN; the receiver saw source " + probe.sourceIpSeen());
                return;
            }
        }
    }

    private static String verdict(final Boolean allowed)
    {
        return allowed ? "allowed" : "denied";
    }

    public void finished(final ScenarioResult result)
    {
        final long mismatches = result.mismatches();
        final ScenarioResult.DataplaneSummary frames = result.dataplane();
        out.println("Frames: " + frames.received() + " received, " + frames.forwarded() + " forwarded, "
            + frames.answered() + " answered by node gateways, "
            + frames.drops().values().stream().mapToLong(Long::longValue).sum() + " dropped"
            + (frames.drops().isEmpty() ? "" : " " + frames.drops()));
        final ScenarioResult.Connections connections = frames.connections();
        out.println("Connections tracked: " + connections.tracked() + " (packets that matched one: " + connections.hits()
            + ", related ICMP errors: " + connections.related() + ")");
        final String summary = result.steps().size() + " steps, " + result.probeCount() + " probes, " + mismatches
            + " mismatches";
        out.println(mismatches == 0 ? style.good("PASS ") + summary : style.bad("FAIL ") + summary);
    }
}
