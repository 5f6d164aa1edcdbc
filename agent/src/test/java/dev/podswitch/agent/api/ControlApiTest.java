package dev.podswitch.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control API's resources without a socket: paths, shapes, atomic apply and errors with field paths. */
class ControlApiTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ClusterModel model = new ClusterModel(table -> { });
    private final ControlApi api = new ControlApi(model, List::of, () -> Map.of("daemon", "test"));

    ControlApiTest() throws Exception
    {
        model.apply(List.of(new ClusterChange.PutNamespace("default", Map.of()),
            new ClusterChange.AddPod(new Pod("default", "web", "node-1", Ipv4.parse("10.244.0.5"), Map.of("app", "web"),
                List.of(), "default/web"))));
    }

    private ApiResponse call(final String method, final String path, final Object body) throws Exception
    {
        final byte[] bytes = body == null ? new byte[0]
            : body instanceof final String text ? text.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
        return api.handle(method, path, Map.of(), bytes);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object value)
    {
        return (Map<String, Object>)value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(final Object value)
    {
        return (List<Object>)value;
    }

    private static Map<String, Object> policy(final String name, final Object app)
    {
        return Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
            "metadata", Map.of("name", name, "namespace", "default"),
            "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("app", app))));
    }

    @Test
    void shouldListPodsInTheKubernetesShape() throws Exception
    {
        final ApiResponse response = call("GET", "/api/v1/pods", null);
        assertEquals(200, response.status());
        final Map<String, Object> body = map(response.body());
        assertEquals("PodList", body.get("kind"));
        final Map<String, Object> pod = map(list(body.get("items")).getFirst());
        assertEquals("web", map(pod.get("metadata")).get("name"));
        assertEquals(Map.of("app", "web"), map(pod.get("metadata")).get("labels"));
        assertEquals("10.244.0.5", map(pod.get("status")).get("podIP"));
        assertEquals("node-1", map(pod.get("spec")).get("nodeName"));
    }

    @Test
    void shouldPutGetAndDeleteANetworkPolicy() throws Exception
    {
        final String path = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/db";
        assertEquals(201, call("PUT", path, policy("db", "db")).status());
        assertEquals(200, call("PUT", path, policy("db", "db")).status(), "a replace is 200");
        final ApiResponse got = call("GET", path, null);
        assertEquals(200, got.status());
        assertEquals("db", map(map(got.body()).get("metadata")).get("name"));
        assertEquals(1, list(map(call("GET", "/apis/networking.k8s.io/v1/networkpolicies", null).body()).get("items")).size());
        assertEquals(200, call("DELETE", path, null).status());
        assertEquals(404, call("GET", path, null).status());
        assertEquals(404, call("DELETE", path, null).status());
    }

    @Test
    void shouldAnswerAnInvalidPolicyWithA422StatusNamingTheField() throws Exception
    {
        final ApiResponse response = call("PUT", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/db",
            policy("db", 7));
        assertEquals(422, response.status());
        final Map<String, Object> status = map(response.body());
        assertEquals("Status", status.get("kind"));
        assertEquals("Invalid", status.get("reason"));
        final Map<String, Object> cause = map(list(map(status.get("details")).get("causes")).getFirst());
        assertEquals("spec.podSelector.matchLabels[app]", cause.get("field"));
        assertTrue(model.snapshot().policies().isEmpty());
    }

    @Test
    void shouldRefuseANameOnTheUrlThatTheBodyContradicts() throws Exception
    {
        assertEquals(400, call("PUT", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/other",
            policy("db", "db")).status());
        assertEquals(400, call("PUT", "/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/db",
            policy("db", "db")).status());
    }

    @Test
    void shouldApplyAListAtomically() throws Exception
    {
        final Map<String, Object> list = Map.of("apiVersion", "v1", "kind", "List",
            "items", List.of(policy("good", "web"), policy("bad", 7)));
        final ApiResponse refused = call("POST", "/apis/podswitch.dev/v1/apply", list);
        assertEquals(422, refused.status());
        assertTrue(model.snapshot().policies().isEmpty(), "the valid one was not applied either");

        final ApiResponse applied = call("POST", "/apis/podswitch.dev/v1/apply", Map.of("apiVersion", "v1", "kind", "List",
            "items", List.of(policy("good", "web"), Map.of("apiVersion", "v1", "kind", "Namespace",
                "metadata", Map.of("name", "prod", "labels", Map.of("env", "prod"))))));
        assertEquals(200, applied.status());
        assertEquals(List.of("networkpolicy default/good", "namespace prod"), list(map(applied.body()).get("items"))
            .stream().map(item -> map(item).get("object")).toList());
        assertEquals(1, model.snapshot().policies().size());
    }

    @Test
    void shouldRefuseKindsTheDaemonDoesNotApply() throws Exception
    {
        final ApiResponse refused = call("POST", "/apis/podswitch.dev/v1/apply", Map.of("apiVersion", "v1", "kind", "List",
            "items", List.of(Map.of("apiVersion", "v1", "kind", "Pod", "metadata", Map.of("name", "x")))));
        assertEquals(422, refused.status());
        assertEquals("items[0].kind", map(list(map(map(refused.body()).get("details")).get("causes")).getFirst())
            .get("field"));
    }

    @Test
    void shouldPatchPodAndNamespaceLabels() throws Exception
    {
        assertEquals(200, call("PATCH", "/api/v1/namespaces/default/pods/web",
            "{\"metadata\":{\"labels\":{\"role\":\"db\",\"app\":null}}}").status());
        assertEquals(Map.of("role", "db"), model.snapshot().pods().get("default/web").labels());
        assertEquals(200, call("PATCH", "/api/v1/namespaces/default",
            "{\"metadata\":{\"labels\":{\"env\":\"dev\"}}}").status());
        assertEquals("dev", model.snapshot().namespaces().get("default").labels().get("env"));
        assertEquals(422, call("PATCH", "/api/v1/namespaces/default/pods/web", "{\"spec\":{}}").status());
        assertEquals(404, call("PATCH", "/api/v1/namespaces/default/pods/none",
            "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}").status());
    }

    @Test
    void shouldAnswerMalformedBodiesUnknownPathsAndMethodsWithAStatus() throws Exception
    {
        final ApiResponse malformed = call("POST", "/apis/podswitch.dev/v1/apply", "{\"kind\": ");
        assertEquals(400, malformed.status());
        assertTrue(String.valueOf(map(malformed.body()).get("message")).contains("line 1"));
        assertEquals(400, call("POST", "/apis/podswitch.dev/v1/apply", "[1,2]").status());
        assertEquals(400, call("POST", "/apis/podswitch.dev/v1/apply", "{\"a\":1,\"a\":2}").status(),
            "duplicate keys are refused");
        assertEquals(400, call("POST", "/apis/podswitch.dev/v1/apply", "{\"a\":".repeat(10_000)).status(),
            "deep nesting is refused, not a stack overflow");
        assertEquals(404, call("GET", "/api/v2/pods", null).status());
        assertEquals(405, call("DELETE", "/api/v1/pods", null).status());
        assertEquals(405, call("POST", "/status", null).status());
    }

    @Test
    void shouldReportStatus() throws Exception
    {
        final Map<String, Object> status = map(call("GET", "/status", null).body());
        assertEquals(1, status.get("pods"));
        assertEquals("test", status.get("daemon"));
        assertEquals(List.of(), status.get("nodes"), "no node in this test's cluster");
    }
}
