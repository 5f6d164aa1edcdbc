package dev.podswitch.agent.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.control.report.Report;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /apis/podswitch.dev/v1/report} through {@link ControlApi#handle}: the running cluster's
 * picture, its policies as applied, and every pair judged by the explain engine — read back from
 * its JSON as {@code podswitch report} reads it; bad query values are 400s that say what is wanted.
 */
class ReportResourceTest
{
    private static final String PATH = "/apis/podswitch.dev/v1/report";
    private static final ObjectMapper JSON = new ObjectMapper()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final String ONLY_FROM_PROD = """
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "only-prod", "namespace": "prod"},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [{"podSelector": {}}], "ports": [{"protocol": "UDP", "port": 53}]}]}}
        """;

    private final ClusterDataplane cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24,
        List.of("node-1", "node-2"), ClusterOptions.Underlay.MEMORY));
    private final ClusterModel model = new ClusterModel(table -> { });
    private final ControlApi api = new ControlApi(model, () -> cluster.nodes().values(), Map::of);

    @AfterEach
    void close()
    {
        cluster.close();
    }

    private void pods(final String... keys) throws Exception
    {
        final List<ClusterChange> changes = new ArrayList<>(List.of(new ClusterChange.PutNamespace("default", Map.of()),
            new ClusterChange.PutNamespace("prod", Map.of())));
        int host = 10;
        for (final String key : keys)
        {
            final String[] parts = key.split("/");
            changes.add(new ClusterChange.AddPod(new Pod(parts[0], parts[1], host % 2 == 0 ? "node-1" : "node-2",
                Ipv4.parse("10.244." + host % 2 + "." + host), Map.of("app", parts[1]), List.of(), null)));
            host++;
        }
        model.apply(changes);
    }

    private ApiResponse get(final String query)
    {
        final Map<String, List<String>> parameters = new LinkedHashMap<>();
        for (final String pair : query.isEmpty() ? new String[0] : query.split("&"))
        {
            parameters.put(pair.substring(0, pair.indexOf('=')), List.of(pair.substring(pair.indexOf('=') + 1)));
        }
        return api.handle("GET", PATH, parameters, new byte[0]);
    }

    private static Report read(final ApiResponse response) throws Exception
    {
        assertEquals(200, response.status(), String.valueOf(response.body()));
        // What goes over the wire, and back as the command line reads it.
        return JSON.readValue(JSON.writeValueAsBytes(response.body()), Report.class);
    }

    @Test
    void shouldDrawTheClusterAndJudgeEveryPairByThePoliciesInForce() throws Exception
    {
        pods("default/a", "prod/b", "prod/c");
        assertEquals(201, api.handle("PUT", "/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/only-prod", Map.of(),
            ONLY_FROM_PROD.getBytes(StandardCharsets.UTF_8)).status());

        final Report report = read(get("protocol=udp&port=53"));
        final Report.Section section = report.sections().getFirst();
        assertEquals(List.of("node-1", "node-2"), section.topology().nodes().stream().map(Report.Node::name).toList());
        assertEquals("10.244.1.0/24", section.topology().nodes().get(1).podCidr());
        assertEquals(3, section.topology().pods().size());
        final Report.Step now = section.steps().getFirst();
        assertEquals("only-prod", ((Map<?, ?>)now.policies().getFirst().manifest().get("metadata")).get("name"),
            "the policy as it was applied");
        assertEquals("UDP/53", now.matrix().probe());
        assertEquals(List.of("default/a", "prod/b", "prod/c"), now.matrix().sources());
        assertEquals(6, now.matrix().cells().size(), "every ordered pair of three, none with itself");

        final Report.Cell fromDefault = cell(now.matrix(), "default/a", "prod/b");
        assertFalse(fromDefault.allowed());
        assertFalse(fromDefault.probed(), "nothing is probed on a running lab");
        assertEquals(List.of("prod/only-prod"), fromDefault.explanation().ingress().isolating());
        assertNull(fromDefault.explanation().ingress().allowedBy(), "no rule allowed it");
        final Report.Cell withinProd = cell(now.matrix(), "prod/c", "prod/b");
        assertTrue(withinProd.allowed());
        assertEquals("ingress", withinProd.explanation().ingress().allowedBy().field());
        assertEquals(0, withinProd.explanation().ingress().allowedBy().port());
        assertTrue(cell(now.matrix(), "prod/b", "default/a").allowed(), "default/a is not isolated");

        final Report prodOnly = read(get("namespace=prod&port=80"));
        assertEquals(List.of("prod/b", "prod/c"), prodOnly.sections().getFirst().steps().getFirst().matrix().sources());
        assertFalse(cell(prodOnly.sections().getFirst().steps().getFirst().matrix(), "prod/c", "prod/b").allowed(),
            "TCP/80 (the default protocol) matches no rule");
    }

    @Test
    void shouldRefuseQueriesItCannotAnswerWithWhatItWants() throws Exception
    {
        assertEquals(400, get("protocol=GRE").status());
        assertEquals(400, get("port=0").status());
        assertEquals(400, get("port=70000").status());
        assertEquals(400, get("flows=-1").status());
        final List<String> many = new ArrayList<>();
        for (int i = 0; i <= ReportResource.MAX_ENDPOINTS; i++)
        {
            many.add("default/p" + i);
        }
        pods(many.toArray(String[]::new));
        final ApiResponse tooMany = get("");
        assertEquals(400, tooMany.status());
        assertTrue(String.valueOf(tooMany.body()).contains("namespace="), "it says how to narrow it: " + tooMany.body());
        assertEquals(200, get("namespace=prod").status(), "an empty namespace is an empty matrix, not an error");
        assertEquals(405, api.handle("DELETE", PATH, Map.of(), new byte[0]).status());
    }

    private static Report.Cell cell(final Report.Matrix matrix, final String from, final String to)
    {
        return matrix.cells().stream().filter(cell -> cell.from().equals(from) && cell.to().equals(to)).findFirst()
            .orElseThrow(() -> new AssertionError(from + " → " + to + " not in " + matrix.cells()));
    }
}
