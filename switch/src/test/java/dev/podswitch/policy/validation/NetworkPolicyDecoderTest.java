package dev.podswitch.policy.validation;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.policy.model.IpBlock;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.podswitch.policy.validation.Manifests.body;
import static dev.podswitch.policy.validation.Manifests.decodeSpec;
import static dev.podswitch.policy.validation.Manifests.onlyError;
import static dev.podswitch.policy.validation.Manifests.paths;
import static dev.podswitch.policy.validation.Manifests.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The whole document: metadata, defaults, policyTypes, and collecting every error. */
class NetworkPolicyDecoderTest
{
    private static LabelSelector labels(final String key, final String value)
    {
        return new LabelSelector(Map.of(key, value), List.of());
    }

    @Test
    void shouldDecodeTheKubernetesDocsExampleWhenValid()
    {
        final NetworkPolicy policy = valid(NetworkPolicyDecoder.decode(body("""
            {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
             metadata: {name: 'test-network-policy', namespace: 'default'},
             spec: {podSelector: {matchLabels: {role: 'db'}}, policyTypes: ['Ingress', 'Egress'],
               ingress: [{from: [{ipBlock: {cidr: '172.17.0.0/16', except: ['172.17.1.0/24']}},
                                 {namespaceSelector: {matchLabels: {project: 'myproject'}}},
                                 {podSelector: {matchLabels: {role: 'frontend'}}}],
                          ports: [{protocol: 'TCP', port: 6379}]}],
               egress: [{to: [{ipBlock: {cidr: '10.0.0.0/24'}}], ports: [{protocol: 'TCP', port: 5978}]}]}}
            """))).policy();

        assertEquals(new NetworkPolicy("default", "test-network-policy", labels("role", "db"),
            Set.of(PolicyType.INGRESS, PolicyType.EGRESS),
            List.of(new PolicyRule(List.of(
                new PolicyPeer(null, null, new IpBlock(Ipv4Cidr.parse("172.17.0.0/16"), List.of(Ipv4Cidr.parse("172.17.1.0/24")))),
                new PolicyPeer(null, labels("project", "myproject"), null),
                new PolicyPeer(labels("role", "frontend"), null, null)),
                List.of(new PolicyPort(IpProtocol.TCP, 6379, null, null)))),
            List.of(new PolicyRule(List.of(new PolicyPeer(null, null, new IpBlock(Ipv4Cidr.parse("10.0.0.0/24"), List.of()))),
                List.of(new PolicyPort(IpProtocol.TCP, 5978, null, null))))), policy);
    }

    @Test
    void shouldDefaultPolicyTypesToIngressWhenAbsentAndThereAreNoEgressRules()
    {
        assertEquals(Set.of(PolicyType.INGRESS), valid(decodeSpec("{ingress: [{}]}")).policy().policyTypes());
    }

    @Test
    void shouldDefaultPolicyTypesToIngressAndEgressWhenThereAreEgressRules()
    {
        assertEquals(Set.of(PolicyType.INGRESS, PolicyType.EGRESS),
            valid(decodeSpec("{egress: [{}]}")).policy().policyTypes());
    }

    @Test
    void shouldDefaultPolicyTypesToIngressOnlyWhenEgressIsAnEmptyList()
    {
        assertEquals(Set.of(PolicyType.INGRESS), valid(decodeSpec("{egress: []}")).policy().policyTypes());
    }

    @Test
    void shouldDefaultPolicyTypesWhenTheListIsEmpty()
    {
        assertEquals(Set.of(PolicyType.INGRESS, PolicyType.EGRESS),
            valid(decodeSpec("{policyTypes: [], egress: [{}]}")).policy().policyTypes());
    }

    @Test
    void shouldKeepPolicyTypesWhenWrittenEvenIfRulesSayOtherwise()
    {
        final NetworkPolicy policy = valid(decodeSpec("{policyTypes: ['Egress'], ingress: [{}]}")).policy();

        assertEquals(Set.of(PolicyType.EGRESS), policy.policyTypes());
        assertEquals(1, policy.ingress().size());
    }

    @Test
    void shouldAcceptARepeatedPolicyTypeBecauseTheApiServerDoes()
    {
        assertEquals(Set.of(PolicyType.INGRESS), valid(decodeSpec("{policyTypes: ['Ingress', 'Ingress']}")).policy()
            .policyTypes());
    }

    @Test
    void shouldRejectMoreThanTwoPolicyTypesWithoutCheckingEach()
    {
        onlyError(decodeSpec("{policyTypes: ['Ingress', 'Egress', 'Bogus']}"), "spec.policyTypes",
            "may not specify more than two policyTypes");
    }

    @Test
    void shouldRejectPolicyTypeWhenNotIngressOrEgress()
    {
        onlyError(decodeSpec("{policyTypes: ['Ingress', 'egress']}"), "spec.policyTypes[1]",
            "Unsupported value: \"egress\": supported values: \"Ingress\", \"Egress\"", "case-sensitive: write Egress");
    }

    @Test
    void shouldDecodeAMissingSpecAsDenyAllIngressForEveryPod()
    {
        final NetworkPolicy policy = valid(NetworkPolicyDecoder.decode(body("{metadata: {name: 'deny'}}"))).policy();

        assertEquals(new NetworkPolicy("default", "deny", LabelSelector.EVERYTHING, Set.of(PolicyType.INGRESS), List.of(),
            List.of()), policy);
    }

    @Test
    void shouldAllowEveryPeerAndPortWhenARuleIsNull()
    {
        assertEquals(List.of(new PolicyRule(List.of(), List.of())), valid(decodeSpec("{ingress: [null]}")).policy().ingress());
    }

    @Test
    void shouldRequireANameWhenMetadataHasNone()
    {
        onlyError(NetworkPolicyDecoder.decode(body("{metadata: {namespace: 'prod'}}")), "metadata.name",
            "Required value: name or generateName is required");
    }

    @Test
    void shouldAskToQuoteTheNameWhenItIsANumber()
    {
        onlyError(NetworkPolicyDecoder.decode(body("{metadata: {name: 42}}")), "metadata.name",
            "Invalid value: 42: must be a string, got a number; quote it: \"42\"");
    }

    @Test
    void shouldRejectNameWhenNotADns1123Subdomain()
    {
        onlyError(NetworkPolicyDecoder.decode(body("{metadata: {name: 'DB_Policy'}}")), "metadata.name",
            "Invalid value: \"DB_Policy\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric " +
                "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', " +
                "regex used for validation is");
    }

    @Test
    void shouldAcceptDotsInNameWhenEachPartIsALabel()
    {
        assertEquals("allow.dns", valid(NetworkPolicyDecoder.decode(body("{metadata: {name: 'allow.dns'}}"))).policy().name());
    }

    @Test
    void shouldRejectNamespaceWhenNotADns1123Label()
    {
        onlyError(NetworkPolicyDecoder.decode(body("{metadata: {name: 'p', namespace: 'team.a'}}")), "metadata.namespace",
            "must not contain dots");
    }

    @Test
    void shouldRejectMetadataLabelsWhenInvalid()
    {
        onlyError(NetworkPolicyDecoder.decode(body("{metadata: {name: 'p', labels: {app: 'a b'}}}")), "metadata.labels[app]",
            "Invalid value: \"a b\"");
    }

    @Test
    void shouldReportUnknownFieldsWhereTheyAreWritten()
    {
        onlyError(decodeSpec("{podSelector: {}, matchLabels: {role: 'db'}}"), "spec.matchLabels",
            "Unknown field: NetworkPolicySpec has no field \"matchLabels\"");
    }

    @Test
    void shouldReportTypeErrorsWhenAListIsAMapping()
    {
        onlyError(decodeSpec("{ingress: {from: []}}"), "spec.ingress", "must be a list, got an object",
            "start each entry with \"- \"");
    }

    @Test
    void shouldCollectEveryErrorInTheApiServersOrderWhenSeveralFieldsAreWrong()
    {
        final NetworkPolicyDecoder.Decoded decoded = NetworkPolicyDecoder.decode(body("""
            {metadata: {name: 'Bad_Name'},
             spec: {podSelector: {matchExpressions: [{key: 'a', operator: 'In'}]},
               ingress: [{from: [{}], ports: [{protocol: 'tcp', port: 443, endPort: 80}]}],
               egress: [{to: [{ipBlock: {cidr: '10.0.0.0/8', except: ['11.0.0.0/16']}}]}],
               policyTypes: ['Ingress', 'Sideways']}}
            """));

        assertNull(decoded.policy());
        assertEquals(List.of(
            "metadata.name",
            "spec.podSelector.matchExpressions[0].values",
            "spec.ingress[0].ports[0].protocol",
            "spec.ingress[0].ports[0].endPort",
            "spec.ingress[0].from[0]",
            "spec.egress[0].to[0].ipBlock.except[0]",
            "spec.policyTypes[1]"), paths(decoded));
    }
}
