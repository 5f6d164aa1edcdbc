package dev.podswitch.scenarios.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static dev.podswitch.scenarios.load.ScenarioFiles.loadFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** YAML syntax, unknown fields, wrong types and missing fields. */
class ScenarioStructureErrorTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReportSnakeyamlsMarkWhenTheYamlIsInvalid()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "description: a: b");

        assertError(ex, "scenario.yaml", 2, 15, "", "invalid YAML", "mapping values are not allowed here");
    }

    @Test
    void shouldReportTheFileWhenItDoesNotExist()
    {
        final Path missing = dir.resolve("nope.yaml");

        final ScenarioException ex = org.junit.jupiter.api.Assertions.assertThrows(ScenarioException.class,
            () -> ScenarioLoader.load(missing));

        assertEquals(missing + ": scenario file not found", ex.getMessage());
    }

    @Test
    void shouldSuggestTheNearestFieldWhenATopLevelFieldIsUnknown()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "step: []");

        assertError(ex, "scenario.yaml", 2, 1, "step", "unknown field \"step\"", "did you mean \"steps\"?");
    }

    @Test
    void shouldSuggestTheNearestFieldWhenANestedFieldIsUnknown()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "cluster: {podCidr: 10.0.0.0/16}");

        assertError(ex, "scenario.yaml", 2, 11, "cluster.podCidr", "did you mean \"podCIDR\"?");
    }

    @Test
    void shouldListKnownFieldsWhenNothingIsNear()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods:",
            "  - name: a",
            "    colour: blue");

        assertError(ex, "scenario.yaml", 4, 5, "pods[0].colour", "unknown field \"colour\"",
            "known fields: name, namespace, node, ip, labels, ports");
    }

    @Test
    void shouldRejectUnknownFieldsWhenTheyAreInsideExpectations()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods: [{name: a}, {name: b}]",
            "steps:",
            "  - name: s",
            "    expect:",
            "      - {from: default/a, to: default/b, protocl: TCP, port: 80, allowed: true}");

        assertError(ex, "scenario.yaml", 6, 42, "steps[0].expect[0].protocl", "did you mean \"protocol\"?");
    }

    @Test
    void shouldSuggestListSyntaxWhenAStringIsGivenForAList()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "steps:",
            "  - name: s",
            "    apply: db-policy.yaml");

        assertError(ex, "scenario.yaml", 4, 12, "steps[0].apply",
            "must be a list, got the string \"db-policy.yaml\"; for a single entry write [db-policy.yaml]");
    }

    @Test
    void shouldAskForDashesWhenAMappingIsGivenForAList()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods:",
            "  name: a");

        assertError(ex, "scenario.yaml", 3, 3, "pods", "must be a list, got a mapping", "start each entry with \"- \"");
    }

    @Test
    void shouldRejectAListWhenAMappingIsExpected()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "cluster: [node-1]");

        assertError(ex, "scenario.yaml", 2, 10, "cluster", "must be a mapping (field: value), got a list");
    }

    @Test
    void shouldRequireANameWhenTheScenarioHasNone()
    {
        final ScenarioException ex = loadFailure(dir,
            "steps: []");

        assertError(ex, "scenario.yaml", 1, 1, "name", "missing required field \"name\"");
    }

    @Test
    void shouldRequireAPodNameWhenAPodHasNone()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods:",
            "  - {namespace: default}");

        assertError(ex, "scenario.yaml", 3, 5, "pods[0].name", "missing required field \"name\"");
    }

    @Test
    void shouldRequireFromToAndAllowedWhenAnExpectationLacksThem()
    {
        final String[] head = {"name: x", "pods: [{name: a}, {name: b}]", "steps:", "  - name: s", "    expect:"};

        assertError(loadFailure(dir, concat(head, "      - {to: default/b, port: 80, allowed: true}")),
            "scenario.yaml", 6, 9, "steps[0].expect[0].from", "missing required field \"from\"");
        assertError(loadFailure(dir, concat(head, "      - {from: default/a, port: 80, allowed: true}")),
            "scenario.yaml", 6, 9, "steps[0].expect[0].to", "missing required field \"to\"");
        assertError(loadFailure(dir, concat(head, "      - {from: default/a, to: default/b, port: 80}")),
            "scenario.yaml", 6, 9, "steps[0].expect[0].allowed", "missing required field \"allowed\"");
    }

    @Test
    void shouldRejectYesWhenABooleanIsExpected()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "pods: [{name: a}, {name: b}]",
            "steps:",
            "  - expect: [{from: default/a, to: default/b, port: 80, allowed: yes}]");

        assertError(ex, "scenario.yaml", 4, 66, "steps[0].expect[0].allowed",
            "must be true or false, got the string \"yes\"");
    }

    @Test
    void shouldRequireProtocolAndExpectWhenAStepHasAMatrix()
    {
        final String[] head = {"name: x", "pods: [{name: a}, {name: b}]", "steps:", "  - name: s", "    matrix:"};

        assertError(loadFailure(dir, concat(head, "      port: 80", "      expect: 'to: default/a'")),
            "scenario.yaml", 6, 7, "steps[0].matrix.protocol", "missing required field \"protocol\"");
        assertError(loadFailure(dir, concat(head, "      protocol: TCP", "      port: 80")),
            "scenario.yaml", 6, 7, "steps[0].matrix.expect", "missing required field \"expect\"");
    }

    @Test
    void shouldRejectADuplicateKeyWhenAFieldIsWrittenTwice()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "description: a",
            "name: y");

        assertError(ex, "scenario.yaml", 3, 1, "name", "duplicate field \"name\" (first written at line 1)");
    }

    @Test
    void shouldPointToValidateWhenTheFileIsAManifest()
    {
        final ScenarioException ex = loadFailure(dir,
            "apiVersion: v1",
            "kind: Namespace",
            "metadata: {name: prod}");

        assertError(ex, "scenario.yaml", 1, 1, "", "this is a Kubernetes manifest, not a scenario", "podswitch validate");
    }

    private static String[] concat(final String[] head, final String... tail)
    {
        final String[] lines = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, lines, head.length, tail.length);
        return lines;
    }
}
