package dev.podswitch.scenarios.report;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.flows.ClusterFlows;
import dev.podswitch.control.flows.FlowFilter;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.report.Report;
import dev.podswitch.control.report.ReportParts;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.Lab;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.StepResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code run --report FILE.html}: listens to a run and gathers, per scenario, the cluster's
 * picture and per step the policies in force, every probe with the explain engine's account of
 * it, and the flows the nodes recorded — then writes the {@link TeachingPage}.
 */
public final class HtmlReport implements RunListener
{
    private final List<Report.Section> sections = new ArrayList<>();
    private Gathering current;

    /** One scenario while it runs. */
    private static final class Gathering
    {
        final Scenario scenario;
        final List<Report.Node> nodes = new ArrayList<>();
        /** Every pod and host any step had, so a pod a later step deletes is still drawn. */
        final Map<String, Report.Pod> pods = new LinkedHashMap<>();
        final Map<String, Report.Host> hosts = new LinkedHashMap<>();
        final List<Report.Step> steps = new ArrayList<>();
        String tunnel = "VXLAN";
        Map<String, Long> flowCursor = Map.of();

        Gathering(final Scenario scenario)
        {
            this.scenario = scenario;
        }
    }

    public void scenarioStarted(final Scenario scenario)
    {
        current = new Gathering(scenario);
    }

    public void scenarioFinished(final ScenarioResult result)
    {
        final Report.Topology topology = new Report.Topology(current.nodes, List.copyOf(current.pods.values()),
            List.copyOf(current.hosts.values()), current.tunnel);
        sections.add(new Report.Section(current.scenario.name(), current.scenario.file().toString(),
            current.scenario.description(), topology, current.steps, summary(result), result.mismatches() == 0));
        current = null;
    }

    @Override
    public void clusterBuilt(final ScenarioResult.NodeInfo[] nodes, final Lab lab)
    {
        for (final ClusterNode node : lab.cluster().nodes().values())
        {
            current.nodes.add(Report.Node.of(node));
        }
        current.tunnel = "VXLAN tunnel · UDP 4789 · VNI " + lab.cluster().options().vni();
        remember(lab.model().snapshot());
    }

    @Override
    public void stepFinished(final int index, final StepResult step, final Lab lab)
    {
        final ModelSnapshot snapshot = lab.model().snapshot();
        remember(snapshot);
        final PolicyCluster cluster = snapshot.policyCluster();
        final int single = step.probes().size() - step.matrixProbes().size();
        final List<Report.Cell> probes = new ArrayList<>(single);
        for (final ProbeOutcome probe : step.probes().subList(0, single))
        {
            probes.add(cell(cluster, probe));
        }
        Report.Matrix matrix = null;
        if (step.matrix() != null)
        {
            final List<Report.Cell> cells = new ArrayList<>(step.matrixProbes().size());
            step.matrixProbes().forEach(probe -> cells.add(cell(cluster, probe)));
            final String probe = step.matrix().protocol().probeLabel(step.matrix().port());
            matrix = new Report.Matrix(probe, step.matrix().sources(), step.matrix().destinations(), cells);
        }
        final ClusterFlows.Page flows = ClusterFlows.read(lab.cluster().nodes().values(), snapshot, current.flowCursor, 0,
            FlowFilter.ANY);
        current.flowCursor = flows.next();
        current.steps.add(new Report.Step(step.name(), ReportParts.policies(snapshot), probes, matrix,
            ReportParts.flowLines(flows), ReportParts.flowsLeftOut(flows)));
    }

    private void remember(final ModelSnapshot snapshot)
    {
        final Report.Topology now = ReportParts.topology(List.of(), snapshot, "");
        now.pods().forEach(pod -> current.pods.putIfAbsent(pod.key(), pod));
        now.hosts().forEach(host -> current.hosts.putIfAbsent(host.name(), host));
    }

    private static Report.Cell cell(final PolicyCluster cluster, final ProbeOutcome probe)
    {
        return new Report.Cell(probe.from(), probe.to(), probe.probeLabel(), true, probe.observed(), probe.expected(),
            probe.answer(), probe.sourceIpSeen(),
            ReportParts.explain(cluster, probe.from(), probe.to(), probe.protocol(), probe.port()));
    }

    private static String summary(final ScenarioResult result)
    {
        return result.probeCount() + " probes, " + result.mismatches() + " mismatches. Frames: "
            + result.dataplane().received() + " received, " + result.dataplane().forwarded() + " forwarded, dropped "
            + result.dataplane().drops();
    }

    public void write(final Path file) throws IOException
    {
        Files.writeString(file, TeachingPage.render(new Report("podswitch report", sections)), StandardCharsets.UTF_8);
    }
}
