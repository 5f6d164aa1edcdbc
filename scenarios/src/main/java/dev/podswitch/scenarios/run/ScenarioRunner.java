package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.conntrack.ConntrackCounters;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.scenarios.load.KubeObjects;
import dev.podswitch.scenarios.model.AddPods;
import dev.podswitch.scenarios.model.ApplyManifests;
import dev.podswitch.scenarios.model.DeletePods;
import dev.podswitch.scenarios.model.DeletePolicies;
import dev.podswitch.scenarios.model.Expectation;
import dev.podswitch.scenarios.model.LabelNamespace;
import dev.podswitch.scenarios.model.LabelPod;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.StepAction;
import dev.podswitch.scenarios.model.StepSpec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Runs a scenario in the emulated mode: builds the cluster, then for each step applies its
 * actions in the order written and sends every probe as real traffic through the switch,
 * comparing what happened with what the step expects.
 */
public final class ScenarioRunner
{
    /** Probes started before the cluster is run to quiescence; well under the ring and port budgets. */
    static final int PROBES_PER_ROUND = EmulatedEndpoints.PROBES_PER_ROUND;

    private final ClusterOptions.Underlay underlay;
    private final int threads;
    private final IdleMode idle;
    private final RunListener listener;
    private Path captureDirectory;
    private PrintStream captureWarnings;
    private Function<ClusterDataplane, LabEndpoints> endpointsFactory = EmulatedEndpoints::new;
    private UnaryOperator<ClusterOptions> clusterTuning = UnaryOperator.identity();

    public ScenarioRunner(final ClusterOptions.Underlay underlay, final RunListener listener)
    {
        this(underlay, ClusterOptions.DEFAULT_THREADS, ClusterOptions.DEFAULT_IDLE, listener);
    }

    /** @param threads node agent threads; 0 runs the nodes on the runner's own thread (deterministic). */
    public ScenarioRunner(final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle,
        final RunListener listener)
    {
        this.underlay = underlay;
        this.threads = threads;
        this.idle = idle;
        this.listener = listener;
    }

    /**
     * Also writes one pcap file per node into {@code directory} (see {@link NodeCaptures}); a file
     * that misses frames (its writer fell behind) is named on {@code warnings}.
     */
    public ScenarioRunner capturingTo(final Path directory, final PrintStream warnings)
    {
        this.captureDirectory = directory;
        this.captureWarnings = warnings;
        return this;
    }

    /**
     * Makes pods, hosts and probes with other endpoints — the live mode's namespaces — instead of
     * virtual ones; the steps, policy and reporting stay the same.
     */
    /** Adjusts the options every lab's cluster is built with (live labs: slots for 64 KiB frames). */
    public ScenarioRunner withClusterTuning(final UnaryOperator<ClusterOptions> tuning)
    {
        this.clusterTuning = tuning;
        return this;
    }

    public ScenarioRunner withEndpoints(final Function<ClusterDataplane, LabEndpoints> factory)
    {
        this.endpointsFactory = factory;
        return this;
    }

    public ScenarioResult run(final Scenario scenario)
    {
        try (Lab lab = new Lab(scenario, underlay, threads, idle, clusterTuning, endpointsFactory);
            NodeCaptures captures = captureDirectory == null ? null
                : new NodeCaptures(lab, captureDirectory, stem(scenario.file()), captureWarnings))
        {
            final List<ScenarioResult.NodeInfo> nodes = nodeInfo(lab);
            listener.clusterBuilt(nodes.toArray(ScenarioResult.NodeInfo[]::new), lab);
            final List<StepResult> steps = new ArrayList<>();
            for (final StepSpec step : scenario.steps())
            {
                for (final StepAction action : step.actions())
                {
                    apply(lab, action);
                }
                final StepResult result = probe(lab, step);
                steps.add(result);
                listener.stepFinished(steps.size() - 1, result, lab);
            }
            return new ScenarioResult(scenario.file(), scenario.name(), scenario.description(), nodes, steps,
                summary(lab));
        }
    }

    private static String stem(final Path file)
    {
        final String name = file.getFileName().toString();
        return name.endsWith(".yaml") ? name.substring(0, name.length() - ".yaml".length()) : name;
    }

    static void apply(final Lab lab, final StepAction action)
    {
        switch (action)
        {
            case ApplyManifests apply ->
            {
                for (final Manifest manifest : apply.manifests())
                {
                    applyManifest(lab, manifest);
                }
            }
            case LabelPod label -> lab.labelPod(label.pod(), label.labels());
            case LabelNamespace label -> lab.labelNamespace(label.namespace(), label.labels());
            case AddPods add -> add.pods().forEach(lab::addPod);
            case DeletePods delete -> delete.pods().forEach(lab::deletePod);
            case DeletePolicies delete -> delete.namespacedNames().forEach(lab::deletePolicy);
        }
        // Every change went through the cluster model's apply path, which compiled and published it.
    }

    /** Like {@code kubectl apply}: creates the object, or replaces the one with the same namespace and name. */
    private static void applyManifest(final Lab lab, final Manifest manifest)
    {
        switch (manifest.kind())
        {
            case "Namespace" -> lab.labelNamespace(manifest.name(), KubeObjects.namespaceSpec(manifest).labels());
            case "Pod" ->
            {
                final PodSpec pod = KubeObjects.podSpec(manifest);
                if (lab.hasPod(pod.key()))
                {
                    lab.labelPod(pod.key(), pod.labels());
                }
                else
                {
                    lab.addPod(pod);
                }
            }
            case "NetworkPolicy" -> lab.applyPolicy(manifest);
            default -> throw new UnsupportedScenarioException(manifest.where() + ": " + manifest.describe()
                + ": kind " + manifest.kind() + " is not supported yet");
        }
    }

    private StepResult probe(final Lab lab, final StepSpec step)
    {
        final List<ProbeOutcome> planned = new ArrayList<>();
        for (final Expectation expectation : step.expectations())
        {
            planned.add(planned(expectation.from(), expectation.to(), expectation.protocol(), expectation.port(),
                expectation.allowed()));
        }
        final int matrixStart = planned.size();
        final MatrixSpec matrix = step.matrix();
        if (matrix != null)
        {
            for (final String from : matrix.sources())
            {
                for (final String to : matrix.destinations())
                {
                    final MatrixSpec.Cell cell = matrix.expected(from, to);
                    if (cell != MatrixSpec.Cell.NOT_PROBED)
                    {
                        planned.add(planned(from, to, matrix.protocol(), matrix.port(), cell == MatrixSpec.Cell.ALLOWED));
                    }
                }
            }
        }
        final List<ProbeOutcome> outcomes = lab.endpoints().probe(planned, listener);
        return new StepResult(step.name(), outcomes, matrix, outcomes.subList(matrixStart, outcomes.size()));
    }

    private static ProbeOutcome planned(final String from, final String to, final IpProtocol protocol, final int port,
        final Boolean expected)
    {
        return new ProbeOutcome(from, to, protocol, protocol.hasPorts() ? port : 0, expected, false, null, null, null);
    }

    private static List<ScenarioResult.NodeInfo> nodeInfo(final Lab lab)
    {
        final List<ScenarioResult.NodeInfo> nodes = new ArrayList<>();
        for (final ClusterNode node : lab.cluster().nodes().values())
        {
            nodes.add(new ScenarioResult.NodeInfo(node.name(), node.podCidr().toString(), Ipv4.format(node.gatewayIp()),
                Ipv4.format(node.vtepIp())));
        }
        return nodes;
    }

    private static ScenarioResult.DataplaneSummary summary(final Lab lab)
    {
        long received = 0;
        long forwarded = 0;
        long answered = 0;
        final Map<String, Long> drops = new TreeMap<>();
        long tracked = 0;
        long hits = 0;
        long related = 0;
        long insertFailures = 0;
        long evictions = 0;
        for (final ClusterNode node : lab.cluster().nodes().values())
        {
            final ConntrackCounters connections = node.datapath().connections().counters();
            tracked += connections.inserts();
            hits += connections.hits();
            related += connections.related();
            insertFailures += connections.insertFailures();
            evictions += connections.evictions();
            final DatapathCounters counters = node.datapath().counters();
            received += counters.receivedCount();
            forwarded += counters.forwardedCount();
            answered += counters.answeredCount();
            counters.drops().forEach((reason, count) -> drops.merge(reason.name(), count, Long::sum));
        }
        return new ScenarioResult.DataplaneSummary(received, forwarded, answered, drops,
            new ScenarioResult.Connections(tracked, hits, related, insertFailures, evictions));
    }
}
