package dev.podswitch.agent.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ManifestChanges;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Pod;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the control API's resources as {@code ApiHandler} hands them a request — method, raw path,
 * the query as Netty decodes it, the body — against one {@link ClusterModel} that starts with two
 * namespaces, two pods and a NetworkPolicy, over a few requests in a row. Properties, per request:
 * <ul>
 *   <li>{@link ControlApi#handle} answers; nothing escapes it (ApiHandler would turn an escaped
 *       exception into a 500 "the agent failed to answer");</li>
 *   <li>the answer can be written as JSON, as ApiHandler writes it, and an error is a {@code Status}
 *       with its code, a message, and for 422 one cause per problem, each naming its field;</li>
 *   <li>a refused request, a GET and a dry run leave the model exactly as it was (the same snapshot).</li>
 * </ul>
 *
 * <p>Input (text, so the seeds in {@code ControlApiFuzzTestInputs/} read as requests): requests
 * separated by a line {@code ====}; each is a line {@code METHOD URI}, then the body as bytes.
 */
class ControlApiFuzzTest
{
    private static final int MAX_REQUESTS = 10;

    @FuzzTest
    void shouldAnswerEveryRequestAndChangeNothingItRefusesWhenGivenAnything(final byte[] input) throws Exception
    {
        final ClusterModel model = startingModel();
        final ControlApi api = new ControlApi(model, () -> List.of(new ClusterNode("node-1", 0,
            Ipv4Cidr.parse("10.244.0.0/24"), Ipv4.parse("10.244.0.1"), 0x0A58_0AF4_0001L, Ipv4.parse("127.0.0.1"), null)),
            () -> Map.of("daemon", "fuzz"));
        // ISO-8859-1 maps bytes to chars one to one, so a body keeps its bytes exactly.
        final String[] requests = new String(input, StandardCharsets.ISO_8859_1).split("\n====\n", -1);
        for (int i = 0; i < Math.min(MAX_REQUESTS, requests.length); i++)
        {
            final String request = requests[i];
            final int endOfLine = request.indexOf('\n');
            final String requestLine = new String((endOfLine < 0 ? request : request.substring(0, endOfLine))
                .getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            final byte[] body = endOfLine < 0 ? new byte[0]
                : request.substring(endOfLine + 1).getBytes(StandardCharsets.ISO_8859_1);
            final int space = requestLine.indexOf(' ');
            final String method = space < 0 ? requestLine : requestLine.substring(0, space);
            final QueryStringDecoder uri = new QueryStringDecoder(space < 0 ? "/" : requestLine.substring(space + 1));
            check(model, api, method, uri, body);
        }
    }

    private static void check(final ClusterModel model, final ControlApi api, final String method,
        final QueryStringDecoder uri, final byte[] body)
    {
        final ModelSnapshot before = model.snapshot();
        final Map<String, List<String>> query;
        try
        {
            query = uri.parameters();
        }
        catch (final IllegalArgumentException malformed)
        {
            // ApiHandler answers a malformed query 400 before the API sees it (ControlApiFuzzFindingsTest).
            return;
        }
        final ApiResponse response = api.handle(method, uri.rawPath(), query, body);
        final String what = method + " " + uri.uri() + " " + new String(body, StandardCharsets.UTF_8) + " -> "
            + response.status() + " " + response.body();
        assertTrue(JsonBodies.write(response.body()).length > 0, what);
        if (response.status() >= 400)
        {
            assertNotEquals(500, response.status(), what);
            assertSame(before, model.snapshot(), () -> "a refused request changed the model: " + what);
            final Map<?, ?> status = (Map<?, ?>)response.body();
            assertEquals("Status", status.get("kind"), what);
            assertEquals(response.status(), status.get("code"), what);
            assertFalse(String.valueOf(status.get("message")).isBlank(), what);
            if (response.status() == 422)
            {
                final List<?> causes = (List<?>)((Map<?, ?>)status.get("details")).get("causes");
                assertFalse(causes.isEmpty(), what);
                for (final Object cause : causes)
                {
                    assertFalse(String.valueOf(((Map<?, ?>)cause).get("field")).isBlank(),
                        () -> "a field error naming no field: " + what);
                }
            }
        }
        else if (method.equals("GET") || query.getOrDefault("dryRun", List.of()).contains("All"))
        {
            assertSame(before, model.snapshot(), () -> "a read or a dry run changed the model: " + what);
        }
    }


    /** default (labelled) and prod namespaces, pods default/web and prod/db, and the policy default/db-access. */
    private static ClusterModel startingModel() throws ApiError, ModelException, IOException
    {
        final ClusterModel model = new ClusterModel(table -> { });
        model.apply(List.of(new ClusterChange.PutNamespace("default", Map.of("team", "web")),
            new ClusterChange.PutNamespace("prod", Map.of("env", "prod")),
            new ClusterChange.AddPod(new Pod("default", "web", "node-1", Ipv4.parse("10.244.0.5"), Map.of("app", "web"),
                List.of(), "default/web")),
            new ClusterChange.AddPod(new Pod("prod", "db", "node-1", Ipv4.parse("10.244.0.6"), Map.of("role", "db"),
                List.of(), "prod/db"))));
        model.apply(ManifestChanges.of(JsonBodies.readObject(("""
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "db-access", "namespace": "default"},
             "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"env": "prod"}}}],
                                   "ports": [{"protocol": "TCP", "port": 80}]}]}}
            """).getBytes(StandardCharsets.UTF_8)), 0, ""));
        return model;
    }
}
