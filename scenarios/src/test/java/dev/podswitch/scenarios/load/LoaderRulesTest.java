package dev.podswitch.scenarios.load;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The syntax rules the loader checks values against, one at a time. */
class LoaderRulesTest
{
    @Test
    void shouldAcceptKubernetesLabelsWhenTheyFollowTheApiServersRules()
    {
        assertNull(KubeSyntax.labelKeyProblem("app"));
        assertNull(KubeSyntax.labelKeyProblem("app.kubernetes.io/name"));
        assertNull(KubeSyntax.labelKeyProblem("a_b.c-d"));
        assertNull(KubeSyntax.labelValueProblem(""));
        assertNull(KubeSyntax.labelValueProblem("v1.2_x-y"));
        assertNull(KubeSyntax.labelValueProblem("v".repeat(63)));
    }

    @Test
    void shouldRejectKubernetesLabelsWhenTheyBreakTheApiServersRules()
    {
        assertNotNull(KubeSyntax.labelKeyProblem(""));
        assertNotNull(KubeSyntax.labelKeyProblem("/app"));
        assertNotNull(KubeSyntax.labelKeyProblem("Example.com/app"));
        assertNotNull(KubeSyntax.labelKeyProblem("app-"));
        assertNotNull(KubeSyntax.labelKeyProblem("k".repeat(64)));
        assertNotNull(KubeSyntax.labelKeyProblem("a/b/c"));
        assertNotNull(KubeSyntax.labelValueProblem("v".repeat(64)));
        assertNotNull(KubeSyntax.labelValueProblem("has space"));
    }

    @Test
    void shouldCheckDnsNamesWhenNamingPodsNamespacesAndPorts()
    {
        assertNull(KubeSyntax.dns1123LabelProblem("web-1"));
        assertNotNull(KubeSyntax.dns1123LabelProblem("web.1"));
        assertNotNull(KubeSyntax.dns1123LabelProblem("-web"));
        assertNotNull(KubeSyntax.dns1123LabelProblem("w".repeat(64)));
        assertNull(KubeSyntax.dns1123SubdomainProblem("db-policy.v2"));
        assertNotNull(KubeSyntax.dns1123SubdomainProblem("db..policy"));
        assertNull(KubeSyntax.portNameProblem("mysql"));
        assertNotNull(KubeSyntax.portNameProblem("8080"));
        assertNotNull(KubeSyntax.portNameProblem("my--sql"));
        assertNotNull(KubeSyntax.portNameProblem("a-very-long-port-name"));
    }

    @Test
    void shouldSuggestOnlyNearNamesWhenAskedForTheNearest()
    {
        assertEquals("steps", Suggest.nearest("step", List.of("name", "steps")));
        assertEquals("podCIDR", Suggest.nearest("podCidr", List.of("podCIDR", "nodes")));
        assertNull(Suggest.nearest("colour", List.of("name", "labels")));
        assertEquals(3, Suggest.distance("kitten", "sitting"));
    }
}
