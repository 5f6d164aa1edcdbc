package dev.podswitch.policy.validation;

import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.SelectorOperator;
import dev.podswitch.policy.model.SelectorRequirement;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.validation.Manifests.decodeSpec;
import static dev.podswitch.policy.validation.Manifests.onlyError;
import static dev.podswitch.policy.validation.Manifests.paths;
import static dev.podswitch.policy.validation.Manifests.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** ValidateLabelSelector and ValidateLabelSelectorRequirement, as the API server runs them on create. */
class SelectorValidationTest
{
    private static NetworkPolicyDecoder.Decoded podSelector(final String selector)
    {
        return decodeSpec("{podSelector: " + selector + "}");
    }

    @Test
    void shouldDecodeEveryOperatorWhenValuesFitIt()
    {
        final LabelSelector selector = valid(podSelector("{matchLabels: {'app.kubernetes.io/name': 'db'}, " +
            "matchExpressions: [{key: 'tier', operator: 'In', values: ['a', 'b']}, " +
            "{key: 'env', operator: 'NotIn', values: ['dev']}, {key: 'team', operator: 'Exists'}, " +
            "{key: 'legacy', operator: 'DoesNotExist', values: []}]}")).policy().podSelector();

        assertEquals(new LabelSelector(Map.of("app.kubernetes.io/name", "db"), List.of(
            new SelectorRequirement("tier", SelectorOperator.IN, List.of("a", "b")),
            new SelectorRequirement("env", SelectorOperator.NOT_IN, List.of("dev")),
            new SelectorRequirement("team", SelectorOperator.EXISTS, List.of()),
            new SelectorRequirement("legacy", SelectorOperator.DOES_NOT_EXIST, List.of()))), selector);
    }

    @Test
    void shouldSelectEverythingWhenPodSelectorIsAbsent()
    {
        assertEquals(LabelSelector.EVERYTHING, valid(decodeSpec("{}")).policy().podSelector());
    }

    @Test
    void shouldRequireValuesWhenOperatorIsInOrNotIn()
    {
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'In'}]}"),
            "spec.podSelector.matchExpressions[0].values",
            "Required value: must be specified when `operator` is 'In' or 'NotIn'");
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'NotIn', values: []}]}"),
            "spec.podSelector.matchExpressions[0].values", "Required value");
    }

    @Test
    void shouldForbidValuesWhenOperatorIsExistsOrDoesNotExist()
    {
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'Exists', values: ['x']}]}"),
            "spec.podSelector.matchExpressions[0].values",
            "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'DoesNotExist', values: ['x']}]}"),
            "spec.podSelector.matchExpressions[0].values", "Forbidden");
    }

    @Test
    void shouldRejectOperatorWhenUnknownAndHintTheCase()
    {
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'Equals', values: ['x']}]}"),
            "spec.podSelector.matchExpressions[0].operator",
            "Invalid value: \"Equals\": not a valid selector operator; use one of In, NotIn, Exists, DoesNotExist");
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'in', values: ['x']}]}"),
            "spec.podSelector.matchExpressions[0].operator", "write In");
    }

    @Test
    void shouldRejectKeyWhenNotAQualifiedName()
    {
        onlyError(podSelector("{matchExpressions: [{key: 'bad key', operator: 'Exists'}]}"),
            "spec.podSelector.matchExpressions[0].key", "Invalid value: \"bad key\": name part must consist of " +
                "alphanumeric characters");
    }

    @Test
    void shouldRejectInValueWhenNotALabelValue()
    {
        onlyError(podSelector("{matchExpressions: [{key: 'a', operator: 'In', values: ['ok', 'not ok']}]}"),
            "spec.podSelector.matchExpressions[0].values[1]", "a valid label must be an empty string or consist of");
    }

    @Test
    void shouldRejectMatchLabelsWhenKeyOrValueBreaksLabelSyntax()
    {
        final NetworkPolicyDecoder.Decoded decoded =
            podSelector("{matchLabels: {'-app': 'db', tier: 'front end', 'a/b/c': 'x', '/x': 'y'}}");

        assertEquals(List.of("spec.podSelector.matchLabels[-app]", "spec.podSelector.matchLabels[tier]",
            "spec.podSelector.matchLabels[a/b/c]", "spec.podSelector.matchLabels[/x]"), paths(decoded));
        assertEquals("Invalid value: \"/x\": label key prefix part must be non-empty",
            decoded.errors().get(3).message());
    }

    @Test
    void shouldAskToQuoteWhenALabelValueIsANumber()
    {
        onlyError(podSelector("{matchLabels: {version: 2}}"), "spec.podSelector.matchLabels[version]",
            "must be a string, got a number; quote it: \"2\"");
    }

    @Test
    void shouldRejectLabelValueWhenLongerThan63Characters()
    {
        onlyError(podSelector("{matchLabels: {a: '" + "x".repeat(64) + "'}}"), "spec.podSelector.matchLabels[a]",
            "must be no more than 63 characters");
    }

    @Test
    void shouldCheckPeerSelectorsWhenInRules()
    {
        onlyError(decodeSpec("{ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: 'a', operator: 'In'}]}}]}]}"),
            "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values", "Required value");
    }
}
