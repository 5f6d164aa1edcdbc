package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.model.AddPods;
import dev.podswitch.scenarios.model.ApplyManifests;
import dev.podswitch.scenarios.model.ClusterSpec;
import dev.podswitch.scenarios.model.ContainerPort;
import dev.podswitch.scenarios.model.DeletePods;
import dev.podswitch.scenarios.model.DeletePolicies;
import dev.podswitch.scenarios.model.Expectation;
import dev.podswitch.scenarios.model.LabelNamespace;
import dev.podswitch.scenarios.model.LabelPod;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.MatrixSpec;
import dev.podswitch.scenarios.model.MatrixSpec.Cell;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.SourceLocation;
import dev.podswitch.scenarios.model.StepSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

class ScenarioLoaderTest
{
    private static final Path FULL = ScenarioFiles.resource("full.yaml");

    @Test
    void shouldReadClusterNamespacesPodsAndHostsWhenLoadingTheFullExample() throws Exception
    {
        final Scenario scenario = ScenarioLoader.load(FULL);

        assertEquals("db accepts MySQL only from the api pods or the prod namespace", scenario.name());
        assertEquals("The first NetworkPolicy example: ingress to role=db on TCP 3306.\n", scenario.description());
        assertEquals(new ClusterSpec("10.244.0.0/16", 24, List.of("node-1", "node-2")), scenario.cluster());
        assertEquals(List.of("default", "prod"), scenario.namespaces().stream().map(ns -> ns.name()).toList());
        assertEquals(Map.of(), scenario.namespaces().get(0).labels());
        assertEquals(Map.of("name", "prod"), scenario.namespaces().get(1).labels());

        assertEquals(List.of("default/db", "default/api", "default/web", "prod/x"),
            scenario.pods().stream().map(PodSpec::key).toList());
        final PodSpec db = scenario.pods().getFirst();
        assertEquals("node-1", db.node());
        assertEquals("10.244.0.10", db.ip());
        assertEquals(Map.of("role", "db"), db.labels());
        assertEquals(List.of(new ContainerPort("mysql", 3306, IpProtocol.TCP)), db.ports());
        assertEquals(new SourceLocation(FULL, 12, 5), db.where());
        final PodSpec web = scenario.pods().get(2);
        assertNull(web.node());
        assertNull(web.ip());

        assertEquals(1, scenario.hosts().size());
        assertEquals("admin", scenario.hosts().getFirst().name());
        assertEquals("192.168.5.10", scenario.hosts().getFirst().ip());
        assertEquals(List.of(new ContainerPort(null, 80, IpProtocol.TCP)), scenario.hosts().getFirst().serves());
    }

    @Test
    void shouldUseDefaultsWhenClusterAndNamespacesAreLeftOut() throws Exception
    {
        final Scenario scenario = ScenarioLoader.load(ScenarioFiles.resource("minimal.yaml"));

        assertEquals(ClusterSpec.defaults(), scenario.cluster());
        assertEquals(new ClusterSpec("10.244.0.0/16", 24, List.of("node-1")), scenario.cluster());
        assertEquals("default", scenario.namespaces().getFirst().name());
        assertEquals("default", scenario.pods().getFirst().namespace());
        assertEquals(Map.of("app.kubernetes.io/name", "b"), scenario.pods().get(1).labels());
        assertNull(scenario.description());
        final StepSpec step = scenario.steps().getFirst();
        assertEquals("step 1", step.name());
        assertEquals(new Expectation("default/a", "default/b", IpProtocol.TCP, 80, true, new SourceLocation(
            scenario.file(), 7, 9)), step.expectations().getFirst());
    }

    @Test
    void shouldReadExpectationsWhenStepsProbe() throws Exception
    {
        final List<StepSpec> steps = ScenarioLoader.load(FULL).steps();

        assertEquals(3, steps.size());
        assertEquals("no policy — everything may talk", steps.get(0).name());
        assertEquals(List.of(), steps.get(0).actions());
        assertEquals(new Expectation("default/api", "default/db", IpProtocol.TCP, 3306, true, new SourceLocation(FULL, 27, 9)),
            steps.get(0).expectations().getFirst());
        final List<Expectation> second = steps.get(1).expectations();
        assertEquals("admin", second.get(1).from());
        assertEquals(false, second.get(1).allowed());
        final List<Expectation> third = steps.get(2).expectations();
        assertEquals(IpProtocol.ICMP, third.get(0).protocol());
        assertEquals(0, third.get(0).port());
        assertEquals(IpProtocol.UDP, third.get(1).protocol());
        assertEquals(53, third.get(1).port());
    }

    @Test
    void shouldKeepActionsInWrittenOrderWhenAStepHasSeveral() throws Exception
    {
        final List<StepSpec> steps = ScenarioLoader.load(FULL).steps();

        final List<?> kinds = steps.get(2).actions().stream().map(Object::getClass).toList();
        assertEquals(List.of(DeletePolicies.class, LabelPod.class, LabelNamespace.class, AddPods.class, DeletePods.class),
            kinds);
        final var actions = steps.get(2).actions();
        assertEquals(List.of("default/db-policy"), ((DeletePolicies)actions.get(0)).namespacedNames());
        assertEquals(new LabelPod("default/api", Map.of("name", "other"), new SourceLocation(FULL, 67, 5)), actions.get(1));
        assertEquals(new LabelNamespace("prod", Map.of("name", "staging"), new SourceLocation(FULL, 68, 5)), actions.get(2));
        assertEquals("prod/new", ((AddPods)actions.get(3)).pods().getFirst().key());
        assertEquals(List.of("default/api"), ((DeletePods)actions.get(4)).pods());
    }

    @Test
    void shouldReadAppliedFilesAndInlineManifestsWhenAStepAppliesBoth() throws Exception
    {
        final List<?> actions = ScenarioLoader.load(FULL).steps().get(1).actions();

        assertEquals(2, actions.size());
        final ApplyManifests fromFile = assertInstanceOf(ApplyManifests.class, actions.get(0));
        final Manifest policy = fromFile.manifests().getFirst();
        assertEquals("NetworkPolicy", policy.kind());
        assertEquals("networking.k8s.io/v1", policy.apiVersion());
        assertEquals("default", policy.namespace());
        assertEquals("db-policy", policy.name());
        assertEquals(FULL.resolveSibling("db-policy.yaml"), policy.file());
        assertEquals(1, policy.documentIndex());
        assertEquals(new SourceLocation(policy.file(), 2, 1), policy.where());
        assertEquals(new SourceLocation(policy.file(), 23, 11), policy.locationOf("spec.ingress[0].ports[0].port"));
        assertEquals(3306, at(policy.body(), "spec", "ingress", 0, "ports", 0, "port"));

        final ApplyManifests inline = assertInstanceOf(ApplyManifests.class, actions.get(1));
        assertEquals(List.of("NetworkPolicy", "Pod"), inline.manifests().stream().map(Manifest::kind).toList());
        final Manifest dns = inline.manifests().get(0);
        assertEquals(FULL, dns.file());
        assertEquals(new SourceLocation(FULL, 31, 7), dns.where());
        assertEquals(new SourceLocation(FULL, 41, 18), dns.locationOf("spec.egress[0].ports[0].protocol"));
        final Manifest pod = inline.manifests().get(1);
        assertEquals(2, pod.documentIndex());
        assertEquals(new SourceLocation(FULL, 43, 7), pod.where());
        assertEquals(new SourceLocation(FULL, 45, 56), pod.locationOf("metadata.labels[app]"));
    }

    @Test
    void shouldTurnPodManifestsIntoPodSpecsWhenTheRunnerAsks() throws Exception
    {
        final ApplyManifests inline = (ApplyManifests)ScenarioLoader.load(FULL).steps().get(1).actions().get(1);

        final PodSpec pod = KubeObjects.podSpec(inline.manifests().get(1));

        assertEquals(new PodSpec("prod", "late", "node-2", null, Map.of("app", "late"),
            List.of(new ContainerPort("http", 8080, IpProtocol.TCP)), new SourceLocation(FULL, 43, 7)), pod);
    }

    @Test
    void shouldReadEveryCellWhenAStepHasAMatrix() throws Exception
    {
        final MatrixSpec matrix = ScenarioLoader.load(FULL).steps().get(1).matrix();

        assertEquals(IpProtocol.TCP, matrix.protocol());
        assertEquals(3306, matrix.port());
        assertEquals(List.of("default/api", "default/db", "default/web", "prod/x", "admin"), matrix.destinations());
        assertEquals(List.of("default/api", "default/db", "default/web", "prod/x", "admin"), matrix.sources());
        assertEquals(Cell.DENIED, matrix.expected("default/web", "default/db"));
        assertEquals(Cell.DENIED, matrix.expected("admin", "default/db"));
        assertEquals(Cell.ALLOWED, matrix.expected("default/api", "default/db"));
        assertEquals(Cell.NOT_PROBED, matrix.expected("prod/x", "prod/x"));
        assertEquals(List.of(Cell.ALLOWED, Cell.DENIED, Cell.NOT_PROBED, Cell.ALLOWED, Cell.ALLOWED),
            matrix.cells().get(2));
        assertEquals(new SourceLocation(FULL, 56, 7), matrix.where());
        assertNull(ScenarioLoader.load(FULL).steps().get(0).matrix());
    }

    @Test
    void shouldTellManifestFilesFromScenarioFilesWhenValidating()
    {
        assertEquals(true, ScenarioLoader.looksLikeManifestFile(ScenarioFiles.resource("db-policy.yaml")));
        assertEquals(false, ScenarioLoader.looksLikeManifestFile(FULL));
    }

    private static Object at(final Object root, final Object... path)
    {
        Object value = root;
        for (final Object step : path)
        {
            value = step instanceof Integer index ? ((List<?>)value).get(index) : ((Map<?, ?>)value).get(step);
        }
        return value;
    }
}
