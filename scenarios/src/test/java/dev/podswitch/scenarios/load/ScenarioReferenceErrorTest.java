package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.LabelNamespace;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.model.SourceLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static dev.podswitch.scenarios.load.ScenarioFiles.loadFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Names that must exist at the step that uses them: the loader replays pods, namespaces and policies. */
class ScenarioReferenceErrorTest
{
    private static final String HEAD = "name: x\npods: [{name: a}, {name: b}]\nhosts: [{name: h, ip: 192.168.0.1}]\nsteps:";

    @TempDir
    Path dir;

    @Test
    void shouldSuggestANameWhenAnExpectationNamesAMissingPod()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - expect: [{from: default/a, to: default/bb, port: 80, allowed: true}]");

        assertError(ex, "scenario.yaml", 5, 36, "steps[0].expect[0].to", "no pod or host \"default/bb\" exists at this step",
            "did you mean \"default/b\"?");
    }

    @Test
    void shouldHintAtNamespaceSlashPodWhenANameHasNoNamespace()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - expect: [{from: a, to: default/b, port: 80, allowed: true}]");

        assertError(ex, "scenario.yaml", 5, 21, "steps[0].expect[0].from", "pods are written namespace/pod, e.g. default/a");
    }

    @Test
    void shouldRejectAnExpectationWhenItsPodWasDeletedInAnEarlierStep()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - deletePods: [default/b]",
            "  - expect: [{from: default/a, to: default/b, port: 80, allowed: true}]");

        assertError(ex, "scenario.yaml", 6, 36, "steps[1].expect[0].to", "no pod or host \"default/b\" exists at this step");
    }

    @Test
    void shouldAcceptAnExpectationWhenItsPodIsAddedEarlierInTheSameStep() throws Exception
    {
        final Path file = ScenarioFiles.write(dir, "ok.yaml", HEAD + "\n" +
            "  - expect: [{from: default/a, to: prod/c, port: 80, allowed: true}]\n" +
            "    manifests: |\n" +
            "      apiVersion: v1\n" +
            "      kind: Namespace\n" +
            "      metadata: {name: prod}\n" +
            "    addPods: [{name: c, namespace: prod}]\n" +
            "    labelNamespace:\n" +
            "      - {namespace: prod, labels: {env: prod}}\n" +
            "      - {namespace: default, labels: {env: dev}}\n");

        final Scenario scenario = ScenarioLoader.load(file);

        assertEquals(4, scenario.steps().getFirst().actions().size());
        assertEquals(new LabelNamespace("default", Map.of("env", "dev"), new SourceLocation(file, 13, 9)), scenario.steps().getFirst().actions().get(3));
    }

    @Test
    void shouldRejectALabelWhenThePodDoesNotExist()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - labelPod: {pod: default/c, labels: {}}");

        assertError(ex, "scenario.yaml", 5, 21, "steps[0].labelPod.pod", "no pod \"default/c\" exists at this step");
    }

    @Test
    void shouldRejectALabelWhenTheNamespaceDoesNotExist()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - labelNamespace: [{namespace: prod, labels: {}}]");

        assertError(ex, "scenario.yaml", 5, 34, "steps[0].labelNamespace[0].namespace", "namespace \"prod\" does not exist");
    }

    @Test
    void shouldRejectADeleteWhenThePodIsAlreadyGone()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - deletePods: [default/a]",
            "  - deletePods: [default/a]");

        assertError(ex, "scenario.yaml", 6, 18, "steps[1].deletePods[0]", "no pod \"default/a\" exists at this step");
    }

    @Test
    void shouldRejectAPolicyDeleteWhenNoSuchPolicyWasApplied()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - delete: [default/db-policy]");

        assertError(ex, "scenario.yaml", 5, 14, "steps[0].delete[0]", "no NetworkPolicy \"default/db-policy\" exists",
            "none has been applied");
    }

    @Test
    void shouldRequireNamespaceSlashNameWhenDeletingAPolicy()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - delete: [db-policy]");

        assertError(ex, "scenario.yaml", 5, 14, "steps[0].delete[0]", "as namespace/name", "e.g. default/db-policy");
    }

    @Test
    void shouldRejectAProbeWhenItGoesFromAPodToItselfOrHostToHost()
    {
        assertError(loadFailure(dir, HEAD, "  - expect: [{from: default/a, to: default/a, port: 80, allowed: true}]"),
            "scenario.yaml", 5, 36, "steps[0].expect[0].to", "to itself");
        assertError(loadFailure(dir, HEAD.replace("hosts: [", "hosts: [{name: g, ip: 192.168.0.2}, "),
                "  - expect: [{from: g, to: h, port: 80, allowed: true}]"),
            "scenario.yaml", 5, 28, "steps[0].expect[0].to", "host-to-host");
    }

    @Test
    void shouldNameTheFileAndStepWhenAnAppliedFileIsMissing()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - name: s",
            "    apply: [policies/missing.yaml]");

        assertError(ex, "scenario.yaml", 6, 13, "steps[0].apply[0]",
            "manifest file " + dir.resolve("policies/missing.yaml") + " not found", "relative to the scenario file");
    }

    @Test
    void shouldRejectAPodManifestWhenItsNamespaceDoesNotExist()
    {
        final ScenarioException ex = loadFailure(dir, HEAD,
            "  - manifests: |",
            "      apiVersion: v1",
            "      kind: Pod",
            "      metadata:",
            "        name: c",
            "        namespace: prod");

        assertError(ex, "scenario.yaml", 10, 9, "metadata.namespace", "steps[0].manifests, document 1",
            "namespace \"prod\" does not exist");
    }
}
