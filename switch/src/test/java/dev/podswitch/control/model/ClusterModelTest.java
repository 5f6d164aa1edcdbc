package dev.podswitch.control.model;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterModelTest
{
    private final List<PolicyTable> published = new ArrayList<>();
    private final List<ModelSnapshot> journalled = new ArrayList<>();
    private final ClusterModel model = new ClusterModel(published::add);

    ClusterModelTest()
    {
        model.journal((changes, after) -> journalled.add(after));
    }

    static Map<String, Object> policy(final String namespace, final String name, final Object podSelector)
    {
        final Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        metadata.put("namespace", namespace);
        return Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata", metadata,
            "spec", Map.of("podSelector", podSelector, "policyTypes", List.of("Ingress")));
    }

    private static Pod pod(final String namespace, final String name, final String ip, final Map<String, String> labels)
    {
        return new Pod(namespace, name, "node-1", Ipv4.parse(ip), labels, List.of(), namespace + "/" + name);
    }

    @Test
    void shouldApplyNothingWhenAnyChangeOfTheListIsInvalid() throws Exception
    {
        model.apply(new ClusterChange.AddPod(pod("default", "db", "10.244.0.5", Map.of("app", "db"))));
        final ModelSnapshot before = model.snapshot();
        final int publishedBefore = published.size();

        final ModelException refused = assertThrows(ModelException.class, () -> model.apply(List.of(
            new ClusterChange.ApplyNetworkPolicy(policy("default", "good", Map.of())),
            new ClusterChange.ApplyNetworkPolicy(policy("default", "bad", Map.of("matchLabels", Map.of("app", 7)))))));

        assertEquals(ModelException.Reason.INVALID, refused.reason());
        assertEquals(1, refused.problems().size());
        assertEquals(1, refused.problems().getFirst().change(), "the second change is the one at fault");
        assertEquals("spec.podSelector.matchLabels[app]", refused.problems().getFirst().error().fieldPath());
        assertEquals(before, model.snapshot(), "the model is as it was");
        assertEquals(publishedBefore, published.size(), "nothing was published");
        assertEquals(1, journalled.size(), "nothing was journalled");
    }

    @Test
    void shouldJournalBeforePublishingAndRefuseWhenTheJournalFails() throws Exception
    {
        model.journal((changes, after) ->
        {
            throw new IOException("disk full");
        });
        assertThrows(IOException.class, () -> model.apply(new ClusterChange.ApplyNetworkPolicy(
            policy("default", "p", Map.of()))));
        assertTrue(model.snapshot().policies().isEmpty(), "a policy that could not be kept is not in force");
        assertTrue(published.isEmpty());
    }

    @Test
    void shouldSayCreatedConfiguredUnchangedAndDeletedAsKubectlDoes() throws Exception
    {
        assertEquals("networkpolicy default/p created",
            model.apply(new ClusterChange.ApplyNetworkPolicy(policy("default", "p", Map.of()))).toString());
        assertEquals("networkpolicy default/p unchanged",
            model.apply(new ClusterChange.ApplyNetworkPolicy(policy("default", "p", Map.of()))).toString());
        assertEquals("networkpolicy default/p configured", model.apply(new ClusterChange.ApplyNetworkPolicy(
            policy("default", "p", Map.of("matchLabels", Map.of("app", "db"))))).toString());
        assertEquals("networkpolicy default/p deleted",
            model.apply(new ClusterChange.DeleteNetworkPolicy("default/p")).toString());
        assertEquals(4, model.snapshot().revision());
        assertEquals(4, published.size(), "every apply publishes one compiled table");
    }

    @Test
    void shouldReportNotFoundForAMissingPolicyPodOrNamespace()
    {
        assertEquals(ModelException.Reason.NOT_FOUND, assertThrows(ModelException.class,
            () -> model.apply(new ClusterChange.DeleteNetworkPolicy("default/none"))).reason());
        assertEquals(ModelException.Reason.NOT_FOUND, assertThrows(ModelException.class,
            () -> model.apply(new ClusterChange.LabelPod("default/none", LabelEdit.patch(Map.of("a", "b"), Set.of()))))
            .reason());
        assertEquals(ModelException.Reason.NOT_FOUND, assertThrows(ModelException.class,
            () -> model.apply(new ClusterChange.LabelNamespace("none", LabelEdit.patch(Map.of("a", "b"), Set.of()))))
            .reason());
    }

    @Test
    void shouldPatchLabelsSettingAndRemovingAndKeepTheRest() throws Exception
    {
        model.apply(new ClusterChange.AddPod(pod("default", "web", "10.244.0.6", Map.of("app", "web", "tier", "fe"))));
        model.apply(new ClusterChange.LabelPod("default/web", LabelEdit.patch(Map.of("role", "x"), Set.of("tier"))));
        assertEquals(Map.of("app", "web", "role", "x"), model.snapshot().pods().get("default/web").labels());
    }

    @Test
    void shouldRefuseAnInvalidLabelValueWithItsFieldPath() throws Exception
    {
        model.apply(new ClusterChange.AddPod(pod("default", "web", "10.244.0.6", Map.of())));
        final ModelException refused = assertThrows(ModelException.class, () -> model.apply(
            new ClusterChange.LabelPod("default/web", LabelEdit.patch(Map.of("app", "not valid!"), Set.of()))));
        assertEquals("metadata.labels[app]", refused.problems().getFirst().error().fieldPath());
        assertEquals(Map.of(), model.snapshot().pods().get("default/web").labels());
    }

    @Test
    void shouldKeepTheMetadataNameLabelOfANamespace() throws Exception
    {
        model.apply(new ClusterChange.PutNamespace("prod", Map.of("env", "prod")));
        assertEquals(Map.of("env", "prod", Namespace.METADATA_NAME_LABEL, "prod"),
            model.snapshot().namespaces().get("prod").labels());
        final ModelException refused = assertThrows(ModelException.class, () -> model.apply(new ClusterChange.LabelNamespace(
            "prod", LabelEdit.patch(Map.of(Namespace.METADATA_NAME_LABEL, "other"), Set.of()))));
        assertEquals("metadata.labels[" + Namespace.METADATA_NAME_LABEL + "]",
            refused.problems().getFirst().error().fieldPath());
    }

    @Test
    void shouldRefuseASecondPodWithTheSameNameOrAddress() throws Exception
    {
        model.apply(new ClusterChange.AddPod(pod("default", "a", "10.244.0.7", Map.of())));
        assertEquals(ModelException.Reason.CONFLICT, assertThrows(ModelException.class,
            () -> model.apply(new ClusterChange.AddPod(pod("default", "a", "10.244.0.8", Map.of())))).reason());
        assertEquals(ModelException.Reason.CONFLICT, assertThrows(ModelException.class,
            () -> model.apply(new ClusterChange.AddPod(pod("default", "b", "10.244.0.7", Map.of())))).reason());
    }

    @Test
    void shouldCheckWithoutChangingAnything() throws Exception
    {
        final List<ClusterModel.Outcome> outcomes = model.check(List.of(
            new ClusterChange.PutNamespace("prod", Map.of()),
            new ClusterChange.LabelNamespace("prod", LabelEdit.patch(Map.of("env", "prod"), Set.of()))));
        assertEquals(List.of("namespace prod created", "namespace prod labeled"),
            outcomes.stream().map(Object::toString).toList(), "a later change sees what an earlier one made");
        assertFalse(model.snapshot().namespaces().containsKey("prod"));
        assertTrue(published.isEmpty());
    }

    @Test
    void shouldTakeManifestListsOfNetworkPoliciesAndNamespacesOnly()
    {
        final ModelException refused = assertThrows(ModelException.class, () -> ManifestChanges.of(Map.of(
            "kind", "List", "items", List.of(policy("default", "p", Map.of()),
                Map.of("apiVersion", "v1", "kind", "Pod", "metadata", Map.of("name", "x"))))));
        assertEquals("items[1].kind", refused.problems().getFirst().error().fieldPath());
        assertEquals(1, refused.problems().getFirst().change());
    }

    @Test
    void shouldRefuseWhatGoesPastTheLimitsWithAQuotaError() throws Exception
    {
        final ClusterModel small = new ClusterModel(table -> { }, new ClusterModel.Limits(2, 1, 1));
        small.apply(new ClusterChange.ApplyNetworkPolicy(policy("default", "one", Map.of())));
        final ModelException policies = assertThrows(ModelException.class, () -> small.apply(
            new ClusterChange.ApplyNetworkPolicy(policy("default", "two", Map.of()))));
        assertEquals(ModelException.Reason.QUOTA, policies.reason());
        assertTrue(policies.getMessage().contains("--max-policies"), policies.getMessage());
        assertEquals("networkpolicy default/one configured", small.apply(new ClusterChange.ApplyNetworkPolicy(
            policy("default", "one", Map.of("matchLabels", Map.of("a", "b"))))).toString(), "replacing one is no new one");

        small.apply(new ClusterChange.AddPod(pod("default", "a", "10.244.0.9", Map.of())));
        assertEquals(ModelException.Reason.QUOTA, assertThrows(ModelException.class, () -> small.apply(
            new ClusterChange.AddPod(pod("default", "b", "10.244.0.10", Map.of())))).reason());
        small.apply(new ClusterChange.PutNamespace("prod", Map.of()));
        assertEquals(ModelException.Reason.QUOTA, assertThrows(ModelException.class, () -> small.apply(
            new ClusterChange.PutNamespace("staging", Map.of()))).reason());
        assertEquals(1, small.snapshot().policies().size());
        assertEquals(1, small.snapshot().pods().size());
    }

    @Test
    void shouldTellTheCompileTimerOncePerApplyAndNeverForARefusedOne() throws Exception
    {
        final List<Double> compiles = new ArrayList<>();
        model.compileTimer(compiles::add);
        model.apply(new ClusterChange.ApplyNetworkPolicy(policy("default", "p", Map.of())));
        model.apply(new ClusterChange.PutNamespace("prod", Map.of()));
        assertThrows(ModelException.class, () -> model.apply(new ClusterChange.ApplyNetworkPolicy(
            policy("default", "bad", Map.of("matchLabels", Map.of("app", 7))))));
        assertEquals(2, compiles.size(), compiles.toString());
        assertTrue(compiles.stream().allMatch(seconds -> seconds >= 0 && seconds < 60), compiles.toString());
        model.compileTimer(ClusterModel.CompileTimer.NONE);
        model.apply(new ClusterChange.PutNamespace("staging", Map.of()));
        assertEquals(2, compiles.size());
    }
}
