package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyType;
import dev.podswitch.scenarios.model.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static dev.podswitch.scenarios.load.ScenarioFiles.loadFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NetworkPolicy manifests go through the API server's validation as they are loaded: every error is
 * reported at its file:line:column with its API field path, and valid ones decode to the model.
 */
class NetworkPolicyValidationLoaderTest
{
    private static final String HEADER = String.join("\n",
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata:",
        "  name: db-policy",
        "  namespace: default",
        "spec:",
        "  podSelector: {}",
        "");

    @TempDir
    Path dir;

    private ScenarioException manifestFailure(final String... specLines)
    {
        final Path file = ScenarioFiles.write(dir, "np.yaml", HEADER + String.join("\n", specLines) + "\n");
        return assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));
    }

    @Test
    void shouldPointAtEndPortAndNameThePolicyWhenEndPortIsBelowPort()
    {
        final ScenarioException ex = manifestFailure(
            "  ingress:",
            "    - ports:",
            "        - port: 80",
            "        - port: 443",
            "          endPort: 80");

        assertError(ex, "np.yaml", 12, 11, "spec.ingress[0].ports[1].endPort",
            "np.yaml:12:11: document 1 (NetworkPolicy default/db-policy): spec.ingress[0].ports[1].endPort: " +
                "Invalid value: 80: must be greater than or equal to `port` (443)");
    }

    @Test
    void shouldPointAtTheQuotedPortAndSayToUnquoteWhenAPortNumberIsQuoted()
    {
        final ScenarioException ex = manifestFailure(
            "  ingress:",
            "    - ports:",
            "        - port: \"3306\"");

        assertError(ex, "np.yaml", 10, 11, "spec.ingress[0].ports[0].port", "must contain at least one letter (a-z)",
            "write port: 3306 without quotes");
    }

    @Test
    void shouldListEveryErrorWithItsOwnLocationWhenThereAreSeveral()
    {
        final ScenarioException ex = manifestFailure(
            "  policyTypes: [Ingress, egress]",
            "  ingress:",
            "    - from:",
            "        - {}",
            "        - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}",
            "      ports:",
            "        - protocol: tcp");

        assertError(ex, "np.yaml", 14, 11, "spec.ingress[0].ports[0].protocol", "Unsupported value: \"tcp\"",
            "(4 errors in all; the others:)",
            "np.yaml:11:11: spec.ingress[0].from[0]: Required value: must specify a peer",
            "np.yaml:12:48: spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"11.0.0.0/16\": must be a strict " +
                "subset of `cidr` (10.0.0.0/8)",
            "np.yaml:8:26: spec.policyTypes[1]: Unsupported value: \"egress\"");
        assertEquals(5, ex.getMessage().lines().count(), ex.getMessage());
    }

    @Test
    void shouldPointAtTheSelectorValuesWhenInHasNone()
    {
        final ScenarioException ex = manifestFailure(
            "  egress:",
            "    - to:",
            "        - namespaceSelector:",
            "            matchExpressions:",
            "              - {key: team, operator: In}");

        assertError(ex, "np.yaml", 12, 17, "spec.egress[0].to[0].namespaceSelector.matchExpressions[0].values",
            "Required value: must be specified when `operator` is 'In' or 'NotIn'");
    }

    @Test
    void shouldNameTheStepWhenAnInlinePolicyIsInvalid()
    {
        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "steps:",
            "  - manifests: |",
            "      apiVersion: networking.k8s.io/v1",
            "      kind: NetworkPolicy",
            "      metadata: {name: p}",
            "      spec:",
            "        ingress:",
            "          - from:",
            "              - ipBlock: {cidr: 10.0.0.0/8}",
            "                podSelector: {}");

        assertError(ex, "scenario.yaml", 10, 17, "spec.ingress[0].from[0]",
            "steps[0].manifests, document 1 (NetworkPolicy default/p): spec.ingress[0].from[0]: Forbidden: may not " +
                "specify both ipBlock and another peer");
    }

    @Test
    void shouldNameTheApplyingStepWhenAnAppliedPolicyIsInvalid()
    {
        ScenarioFiles.write(dir, "bad.yaml", HEADER + "  policyTypes: [Ingress, Egress, Ingress]\n");

        final ScenarioException ex = loadFailure(dir,
            "name: x",
            "steps:",
            "  - apply: [bad.yaml]");

        assertError(ex, "bad.yaml", 8, 3, "spec.policyTypes",
            "document 1 (NetworkPolicy default/db-policy), applied by steps[0].apply[0]: spec.policyTypes",
            "may not specify more than two policyTypes");
    }

    @Test
    void shouldDecodeTheModelWhenTheRunnerAsksForAValidPolicy() throws Exception
    {
        final Manifest manifest = ScenarioLoader.loadManifests(ScenarioFiles.resource("db-policy.yaml")).getFirst();

        final NetworkPolicy policy = KubeObjects.networkPolicy(manifest);

        assertEquals("default/db-policy", policy.key());
        assertEquals(Set.of(PolicyType.INGRESS), policy.policyTypes());
        assertEquals(List.of(new PolicyPort(IpProtocol.TCP, 3306, null, null)), policy.ingress().getFirst().ports());
        assertEquals(2, policy.ingress().getFirst().peers().size());
    }

    @Test
    void shouldRefuseAManifestThatIsNotAValidPolicyWhenConverted()
    {
        final Manifest invalid = new Manifest("networking.k8s.io/v1", "NetworkPolicy", null, "p",
            java.util.Map.of("metadata", java.util.Map.of("name", "p"), "spec", java.util.Map.of("policyTypes",
                List.of("Sideways"))), null, null, 1, java.util.Map.of());

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> KubeObjects.networkPolicy(invalid));

        assertTrue(ex.getMessage().contains("spec.policyTypes[0]"), ex.getMessage());
    }
}
