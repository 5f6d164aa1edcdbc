package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.SourceLocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static dev.podswitch.scenarios.load.ScenarioFiles.loadFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Manifest files and inline manifests: kinds, the NetworkPolicy field tree, and hints for pasted YAML. */
class ManifestLoaderTest
{
    @TempDir
    Path dir;

    @Test
    void shouldKeepTheWholeDocumentWhenLoadingAManifestFile() throws Exception
    {
        final Path file = ScenarioFiles.resource("db-policy.yaml");

        final List<Manifest> manifests = ScenarioLoader.loadManifests(file);

        assertEquals(1, manifests.size());
        final Manifest policy = manifests.getFirst();
        assertEquals("NetworkPolicy default/db-policy", policy.describe());
        assertEquals(Map.of("matchLabels", Map.of("role", "db")), ((Map<?, ?>)policy.body().get("spec")).get("podSelector"));
        assertEquals(new SourceLocation(file, 10, 7), policy.locationOf("spec.podSelector.matchLabels[role]"));
        assertEquals(new SourceLocation(file, 15, 11), policy.locationOf("spec.ingress[0].from[0]"));
        assertEquals(new SourceLocation(file, 21, 7), policy.locationOf("spec.ingress[0].ports"));
        assertEquals(new SourceLocation(file, 21, 7), policy.locationOf("spec.ingress[0].ports.endPort"));
    }

    @Test
    void shouldNameDocumentAndSupportedKindsWhenAKindIsNotSupported()
    {
        final Path file = ScenarioFiles.resource("two-kinds.yaml");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "two-kinds.yaml", 8, 7, "kind", "document 2: kind: kind Deployment (apps/v1) is not supported",
            "supported kinds: Namespace (v1), Pod (v1), NetworkPolicy (networking.k8s.io/v1)");
        assertEquals("document 2", ex.document());
    }

    @Test
    void shouldNameTheRightApiVersionWhenAKindHasTheWrongOne()
    {
        final Path file = ScenarioFiles.write(dir, "np.yaml", "apiVersion: v1\nkind: NetworkPolicy\nmetadata: {name: a}\n");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "np.yaml", 1, 13, "apiVersion", "NetworkPolicy must have apiVersion networking.k8s.io/v1, got v1");
    }

    @Test
    void shouldPointAtThePodSelectorWhenMatchLabelsLostItsIndentation()
    {
        final Path file = ScenarioFiles.resource("misindented-policy.yaml");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "misindented-policy.yaml", 7, 5, "spec.matchLabels", "unknown field \"matchLabels\"",
            "it probably belongs under spec.podSelector — check its indentation");
    }

    @Test
    void shouldBlameMarkdownWhenAListItemStartsWithDoubleStars()
    {
        final Path file = ScenarioFiles.resource("markdown-policy.yaml");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertEquals("markdown-policy.yaml", ex.file().getFileName().toString());
        assertEquals(9, ex.line());
        assertEquals(true, ex.getMessage().contains("`**` looks like markdown emphasis pasted in"), ex.getMessage());
    }

    @Test
    void shouldBlameMarkdownWhenAFieldNameIsWrappedInStars()
    {
        final Path file = ScenarioFiles.write(dir, "np.yaml", String.join("\n",
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata: {name: a}",
            "spec:",
            "  \"**policyTypes**\": [Ingress]",
            ""));

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "np.yaml", 5, 3, "spec.**policyTypes**", "markdown emphasis", "(the field is \"policyTypes\")");
    }

    @Test
    void shouldPointOneLevelUpWhenAFieldIsIndentedTooFar()
    {
        final Path file = ScenarioFiles.write(dir, "np.yaml", String.join("\n",
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata: {name: a}",
            "spec:",
            "  ingress:",
            "    - from:",
            "        - podSelector: {}",
            "          ports: [{port: 80}]",
            ""));

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "np.yaml", 8, 11, "spec.ingress[0].from[0].ports",
            "it probably belongs one level up, under spec.ingress[0] — check its indentation");
    }

    @Test
    void shouldSuggestTheFieldWhenANetworkPolicyFieldHasATypo()
    {
        final Path file = ScenarioFiles.write(dir, "np.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {polcyTypes: [Ingress]}\n");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "np.yaml", 4, 8, "spec.polcyTypes", "did you mean \"policyTypes\"?");
    }

    @Test
    void shouldAskForDashesWhenPeersAreAMappingInsteadOfAList()
    {
        final Path file = ScenarioFiles.write(dir, "np.yaml", String.join("\n",
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata: {name: a}",
            "spec:",
            "  ingress:",
            "    - from:",
            "        podSelector: {}",
            ""));

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "np.yaml", 7, 9, "spec.ingress[0].from", "must be a list, got a mapping", "start each entry with");
    }

    @Test
    void shouldMapLinesToTheScenarioFileWhenAnInlineManifestIsWrong()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "steps:",
            "  - manifests: |",
            "      apiVersion: v1",
            "      kind: Namespace",
            "      metadata: {name: prod}",
            "      ---",
            "      apiVersion: networking.k8s.io/v1",
            "      kind: NetworkPolicy",
            "      metadata: {name: p, namespace: prod}",
            "      spec:",
            "          podSelector:",
            "          matchLabels: {role: db}");

        assertError(ex, "scenario.yaml", 13, 11, "spec.matchLabels", "steps[0].manifests, document 2: spec.matchLabels",
            "belongs under spec.podSelector");
    }

    @Test
    void shouldNameTheDocumentAndTheStepWhenAnAppliedFileIsWrong()
    {
        ScenarioFiles.write(dir, "bad.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  nam: a\n");

        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "steps:",
            "  - apply: [bad.yaml]");

        assertError(ex, "bad.yaml", 4, 3, "metadata.nam", "document 1, applied by steps[0].apply[0]",
            "did you mean \"name\"?");
    }

    @Test
    void shouldRejectAManifestNameWhenItBreaksKubernetesSyntax()
    {
        final Path file = ScenarioFiles.write(dir, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: Prod}\n");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "ns.yaml", 3, 18, "metadata.name", "invalid name \"Prod\"");
    }

    @Test
    void shouldCheckPodPortsWhenAPodManifestHasContainers()
    {
        final Path file = ScenarioFiles.write(dir, "pod.yaml", String.join("\n",
            "apiVersion: v1",
            "kind: Pod",
            "metadata: {name: a}",
            "spec:",
            "  containers:",
            "    - name: c",
            "      image: nginx",
            "      ports: [{containerPort: 80, protocol: udp}]",
            ""));

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "pod.yaml", 8, 45, "spec.containers[0].ports[0].protocol", "write UDP");
    }
}
