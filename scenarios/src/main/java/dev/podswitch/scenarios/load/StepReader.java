package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
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
import dev.podswitch.scenarios.model.SourceLocation;
import dev.podswitch.scenarios.model.StepAction;
import dev.podswitch.scenarios.model.StepSpec;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Steps, in order. Each step's actions are read in the order they are written and replayed on the
 * {@link Population}, then its probes are checked against what exists after them, as the runner
 * will run them. One instance reads one scenario.
 */
final class StepReader
{
    private final Origin origin;
    private final ClusterPlan cluster;
    private final Population population;

    StepReader(final Origin origin, final ClusterPlan cluster, final Population population)
    {
        this.origin = origin;
        this.cluster = cluster;
        this.population = population;
    }

    StepSpec read(final Node node, final int index) throws ScenarioException
    {
        final String path = "steps[" + index + "]";
        final YamlMap step = YamlMap.of(origin, node, path);
        step.allowOnly("name", "apply", "manifests", "delete", "labelPod", "labelNamespace", "addPods", "deletePods",
            "expect", "matrix");
        final String name = step.value("name") == null ?
            "step " + (index + 1) : Values.text(origin, step.value("name"), step.pathOf("name"));
        final List<StepAction> actions = new ArrayList<>();
        for (final String key : step.keys())
        {
            final Node value = step.value(key);
            if (value == null || "name".equals(key) || "expect".equals(key) || "matrix".equals(key))
            {
                continue;
            }
            final String keyPath = step.pathOf(key);
            final SourceLocation where = step.keyLocation(key);
            switch (key)
            {
                case "apply" -> actions.add(apply(value, keyPath, where));
                case "manifests" -> actions.add(manifests(value, keyPath, where));
                case "delete" -> actions.add(deletePolicies(value, keyPath, where));
                case "labelPod" -> labelPods(value, keyPath, where, actions);
                case "labelNamespace" -> labelNamespaces(value, keyPath, where, actions);
                case "addPods" -> actions.add(addPods(value, keyPath, where));
                case "deletePods" -> actions.add(deletePods(value, keyPath, where));
                default -> throw new IllegalStateException(key);
            }
        }
        final List<Expectation> expectations = expectations(step.value("expect"), step.pathOf("expect"));
        final MatrixSpec matrix = step.value("matrix") == null ?
            null : MatrixReader.read(origin, step.value("matrix"), step.pathOf("matrix"), population);
        return new StepSpec(name, actions, expectations, matrix, origin.location(node));
    }

    private ApplyManifests apply(final Node value, final String path, final SourceLocation where) throws ScenarioException
    {
        final List<Node> files = Values.list(origin, value, path);
        final List<Manifest> manifests = new ArrayList<>();
        for (int i = 0; i < files.size(); i++)
        {
            final String filePath = path + "[" + i + "]";
            final String name = Values.text(origin, files.get(i), filePath);
            final Path file = origin.file().resolveSibling(name);
            if (!Files.isRegularFile(file))
            {
                throw origin.error(files.get(i), filePath, "manifest file " + file + " not found (apply: paths are " +
                    "relative to the scenario file)");
            }
            final String text = YamlDocuments.read(file, "manifest file");
            final List<ManifestReader.Read> read =
                ManifestReader.read(text, Origin.ofFile(file, text), "", ", applied by " + filePath);
            if (read.isEmpty())
            {
                throw origin.error(files.get(i), filePath, "manifest file " + file + " holds no manifests");
            }
            manifests.addAll(replay(read));
        }
        return new ApplyManifests(manifests, where);
    }

    private ApplyManifests manifests(final Node value, final String path, final SourceLocation where)
        throws ScenarioException
    {
        if (!(value instanceof ScalarNode block))
        {
            throw origin.error(value, path, "must be YAML text, got " + Values.describe(value) + "; write manifests: | " +
                "and the manifests indented below it");
        }
        final List<ManifestReader.Read> read =
            ManifestReader.read(block.getValue(), origin.embedded(block), path + ", ", "");
        if (read.isEmpty())
        {
            throw origin.error(value, path, "holds no manifests");
        }
        return new ApplyManifests(replay(read), where);
    }

    /** kubectl apply: each object is created or replaces the one of the same namespace/name. */
    private List<Manifest> replay(final List<ManifestReader.Read> read) throws ScenarioException
    {
        final List<Manifest> manifests = new ArrayList<>(read.size());
        for (final ManifestReader.Read each : read)
        {
            final Manifest manifest = each.manifest();
            final String namespace = manifest.namespace() == null ? PodReader.DEFAULT_NAMESPACE : manifest.namespace();
            switch (manifest.kind())
            {
                case "Namespace" -> population.putNamespace(manifest.name(), KubeObjects.namespaceSpec(manifest).labels());
                case "Pod" ->
                {
                    final PodSpec pod = KubeObjects.podSpec(manifest);
                    if (pod.node() != null && !cluster.spec().nodes().contains(pod.node()))
                    {
                        throw each.origin().error(manifest.locationOf("spec.nodeName"), "spec.nodeName", "node \"" +
                            pod.node() + "\" is not in the scenario's cluster.nodes " + cluster.spec().nodes());
                    }
                    population.addPod(each.origin(), manifest.locationOf("metadata.namespace"), "metadata.namespace", pod,
                        true);
                }
                case "NetworkPolicy" ->
                {
                    population.requireNamespace(each.origin(), manifest.locationOf("metadata.namespace"),
                        "metadata.namespace", namespace);
                    population.putPolicy(namespace + "/" + manifest.name());
                }
                default -> throw new IllegalStateException(manifest.kind());
            }
            manifests.add(manifest);
        }
        return manifests;
    }

    private DeletePolicies deletePolicies(final Node value, final String path, final SourceLocation where)
        throws ScenarioException
    {
        final List<Node> elements = Values.list(origin, value, path);
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++)
        {
            final String elementPath = path + "[" + i + "]";
            final String name = namespacedName(elements.get(i), elementPath, "NetworkPolicy");
            population.deletePolicy(origin, origin.location(elements.get(i)), elementPath, name);
            names.add(name);
        }
        return new DeletePolicies(names, where);
    }

    /** Reads one action entry: its mapping, its field path, and where to report it. */
    @FunctionalInterface
    private interface EntryReader
    {
        StepAction read(YamlMap entry, SourceLocation where) throws ScenarioException;
    }

    /** labelPod and labelNamespace take one mapping or a list of them; each becomes one action. */
    private void eachEntry(
        final Node value,
        final String path,
        final SourceLocation where,
        final List<StepAction> actions,
        final EntryReader reader) throws ScenarioException
    {
        final boolean isList = value instanceof SequenceNode;
        final List<Node> entries = isList ? ((SequenceNode)value).getValue() : List.of(value);
        for (int i = 0; i < entries.size(); i++)
        {
            final String entryPath = isList ? path + "[" + i + "]" : path;
            final YamlMap entry = YamlMap.of(origin, entries.get(i), entryPath);
            actions.add(reader.read(entry, isList ? origin.location(entries.get(i)) : where));
        }
    }

    private void labelPods(
        final Node value,
        final String path,
        final SourceLocation where,
        final List<StepAction> actions) throws ScenarioException
    {
        eachEntry(value, path, where, actions, (entry, entryWhere) ->
        {
            entry.allowOnly("pod", "labels");
            final Node podNode = entry.require("pod");
            final String key = namespacedName(podNode, entry.pathOf("pod"), "pod");
            final PodSpec pod = population.requirePod(origin, origin.location(podNode), entry.pathOf("pod"), key);
            requireKey(entry, "labels");
            final Map<String, String> labels = Values.labels(origin, entry.value("labels"), entry.pathOf("labels"));
            population.replacePod(new PodSpec(pod.namespace(), pod.name(), pod.node(), pod.ip(), labels, pod.ports(),
                pod.where()));
            return new LabelPod(key, labels, entryWhere);
        });
    }

    private void labelNamespaces(
        final Node value,
        final String path,
        final SourceLocation where,
        final List<StepAction> actions) throws ScenarioException
    {
        eachEntry(value, path, where, actions, (entry, entryWhere) ->
        {
            entry.allowOnly("namespace", "labels");
            final Node namespaceNode = entry.require("namespace");
            final String namespace = Values.text(origin, namespaceNode, entry.pathOf("namespace"));
            population.requireNamespace(origin, origin.location(namespaceNode), entry.pathOf("namespace"), namespace);
            requireKey(entry, "labels");
            final Map<String, String> labels = Values.labels(origin, entry.value("labels"), entry.pathOf("labels"));
            KubeObjects.checkMetadataNameLabel(origin, entry.value("labels"), entry.pathOf("labels"), namespace, labels);
            population.putNamespace(namespace, labels);
            return new LabelNamespace(namespace, labels, entryWhere);
        });
    }

    private AddPods addPods(final Node value, final String path, final SourceLocation where) throws ScenarioException
    {
        final List<Node> elements = Values.list(origin, value, path);
        final List<PodSpec> pods = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++)
        {
            final String elementPath = path + "[" + i + "]";
            final PodSpec pod = PodReader.read(origin, elements.get(i), elementPath, cluster);
            population.addPod(origin, pod.where(), elementPath, pod, false);
            pods.add(pod);
        }
        return new AddPods(pods, where);
    }

    private DeletePods deletePods(final Node value, final String path, final SourceLocation where)
        throws ScenarioException
    {
        final List<Node> elements = Values.list(origin, value, path);
        final List<String> keys = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++)
        {
            final String elementPath = path + "[" + i + "]";
            final String key = namespacedName(elements.get(i), elementPath, "pod");
            population.requirePod(origin, origin.location(elements.get(i)), elementPath, key);
            population.deletePod(key);
            keys.add(key);
        }
        return new DeletePods(keys, where);
    }

    private List<Expectation> expectations(final Node value, final String path) throws ScenarioException
    {
        final List<Node> elements = Values.list(origin, value, path);
        final List<Expectation> expectations = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++)
        {
            final YamlMap entry = YamlMap.of(origin, elements.get(i), path + "[" + i + "]");
            entry.allowOnly("from", "to", "protocol", "port", "allowed");
            final String from = endpoint(entry, "from");
            final String to = endpoint(entry, "to");
            if (from.equals(to))
            {
                throw origin.error(entry.value("to"), entry.pathOf("to"), "a probe from " + from + " to itself is not " +
                    "probed; pick another destination");
            }
            if (population.isHost(from) && population.isHost(to))
            {
                throw origin.error(entry.value("to"), entry.pathOf("to"), "host-to-host traffic never crosses the " +
                    "switch; probe from or to a pod");
            }
            final IpProtocol protocol = entry.value("protocol") == null ?
                IpProtocol.TCP : Probes.protocol(origin, entry.value("protocol"), entry.pathOf("protocol"), true);
            final int port = Probes.port(origin, entry, "port", protocol);
            final boolean allowed = Values.bool(origin, entry.require("allowed"), entry.pathOf("allowed"));
            expectations.add(new Expectation(from, to, protocol, port, allowed, origin.location(elements.get(i))));
        }
        return expectations;
    }

    private String endpoint(final YamlMap entry, final String key) throws ScenarioException
    {
        final Node node = entry.require(key);
        final String name = Values.text(origin, node, entry.pathOf(key));
        population.requireEndpoint(origin, origin.location(node), entry.pathOf(key), name);
        return name;
    }

    /** {@code namespace/name}, both parts present. */
    private String namespacedName(final Node node, final String path, final String what) throws ScenarioException
    {
        final String text = Values.text(origin, node, path);
        final int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0)
        {
            throw origin.error(node, path, "must name a " + what + " as namespace/name, got \"" + text + "\"" +
                (slash < 0 ? "; e.g. default/" + text : ""));
        }
        return text;
    }

    /** {@code labels: {}} clears the labels; leaving the field out is more likely a slip. */
    private void requireKey(final YamlMap entry, final String key) throws ScenarioException
    {
        if (!entry.has(key))
        {
            throw origin.error(entry.node(), entry.pathOf(key), "missing required field \"" + key + "\" (the new label " +
                "set, replacing the old one; {} removes every label)");
        }
    }
}
