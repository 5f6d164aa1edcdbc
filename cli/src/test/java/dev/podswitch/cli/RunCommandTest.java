package dev.podswitch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's contract from SCENARIOS.md: exit statuses, messages, the JSON document. */
class RunCommandTest
{
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void captureOutput()
    {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreOutput()
    {
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
    }

    private int run(final String... args)
    {
        return Main.commandLine().execute(args);
    }

    private String stdout()
    {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr()
    {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldExitZeroAndPrintEveryProbeAsJsonWhenAllExpectationsHold() throws Exception
    {
        assertEquals(0, run("run", "--json", "../scenarios/library/two-nodes.yaml"), stderr());
        final JsonNode json = new ObjectMapper().readTree(stdout());
        assertEquals("two nodes — pods on different nodes talk over VXLAN without NAT", json.get("scenario").asText());
        final JsonNode firstStep = json.get("steps").get(0);
        assertEquals("client to server across nodes, every protocol", firstStep.get("name").asText());
        final JsonNode probe = firstStep.get("probes").get(0);
        assertEquals("default/client", probe.get("from").asText());
        assertEquals("default/server", probe.get("to").asText());
        assertEquals("TCP", probe.get("protocol").asText());
        assertEquals(8080, probe.get("port").asInt());
        assertTrue(probe.get("expected").asBoolean());
        assertTrue(probe.get("observed").asBoolean());
        assertEquals("open", probe.get("answer").asText());
        assertEquals("10.244.0.10", probe.get("sourceIpSeen").asText());
        assertEquals("refused", firstStep.get("probes").get(1).get("answer").asText(), "TCP 8081 is not served");
        final JsonNode icmp = firstStep.get("probes").get(4);
        assertEquals("ICMP", icmp.get("protocol").asText());
        assertTrue(icmp.get("port").isNull());
    }

    @Test
    void shouldWriteEachStepsFlowsWithTheirVerdictsAndThePoliciesThatDecided(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path work)
        throws Exception
    {
        final java.nio.file.Path file = work.resolve("flows.jsonl");
        assertEquals(0, run("run", "--underlay", "memory", "--flows", file.toString(),
            "../scenarios/library/policy/03-and-vs-or.yaml"), stderr());
        final java.util.List<JsonNode> flows = new java.util.ArrayList<>();
        for (final String line : java.nio.file.Files.readAllLines(file))
        {
            flows.add(new ObjectMapper().readTree(line));
        }
        assertTrue(flows.size() > 10, flows.size() + " flows");
        assertTrue(flows.stream().allMatch(flow -> flow.has("step") && flow.has("verdict") && flow.has("node_name")));
        final JsonNode denied = flows.stream().filter(flow -> "DROPPED".equals(flow.path("verdict").asText())).findFirst()
            .orElseThrow();
        assertEquals("POLICY_DENIED_INGRESS", denied.path("drop_reason_desc").asText(), denied.toString());
        assertTrue(denied.path("ingress_denied_by").size() > 0, denied.toString());
        assertTrue(flows.stream().anyMatch(flow -> flow.path("ingress_allowed_by").size() > 0), "an allowed flow names its rule");
        assertTrue(stderr().contains("wrote " + flows.size() + " flows"), stderr());
    }

    @Test
    void shouldExitOneAndNameTheMismatchWhenAnExpectationFails()
    {
        assertEquals(1, run("run", "--underlay", "memory", "src/test/resources/run/expects-a-denial.yaml"));
        final String report = stdout();
        assertTrue(report.contains("default/a → default/b  TCP/80  allowed  (expected denied)"), report);
        assertTrue(report.contains("FAIL 1 steps, 2 probes, 1 mismatches"), report);
    }

    @Test
    void shouldExitTwoNamingFileLineAndFieldWhenInputIsInvalid()
    {
        assertEquals(2, run("run", "src/test/resources/run/bad-port.yaml"));
        assertTrue(stderr().contains("bad-port.yaml:9:63:"), stderr());
        assertTrue(stderr().contains("steps[0].expect[0].port"), stderr());
        assertTrue(stdout().isEmpty(), "nothing runs on invalid input");
    }

    @Test
    void shouldDropTrafficANetworkPolicyDeniesAndSayWhichAnswerCameBack() throws Exception
    {
        assertEquals(0, run("run", "--json", "src/test/resources/run/uses-policy.yaml"), stderr());
        final JsonNode probes = new ObjectMapper().readTree(stdout()).get("steps").get(0).get("probes");
        assertFalse(probes.get(0).get("observed").asBoolean(), "web -> db is denied by deny-db");
        assertEquals("none", probes.get(0).get("answer").asText());
        assertTrue(probes.get(1).get("observed").asBoolean(), "db -> web is not isolated (ingress-only policy)");
        assertEquals(1, new ObjectMapper().readTree(stdout()).get("frames").get("dropped").get("POLICY_DENIED_INGRESS")
            .asInt());
    }

    @Test
    void shouldValidateScenariosAndReportTheFirstInvalidOne()
    {
        assertEquals(0, run("validate", "../scenarios/library/demo.yaml", "../scenarios/library/one-node.yaml"));
        assertTrue(stdout().contains("ok  ../scenarios/library/demo.yaml"), stdout());
        assertEquals(2, run("validate", "../scenarios/library/demo.yaml", "src/test/resources/run/bad-port.yaml"));
    }

    @Test
    void shouldWriteAnHtmlReportWithTheMatrixAndTheMismatchesOutlined(@org.junit.jupiter.api.io.TempDir final Path dir)
        throws Exception
    {
        final Path report = dir.resolve("report.html");
        assertEquals(1, run("run", "--underlay", "memory", "--report", report.toString(), "../scenarios/library/demo.yaml",
            "src/test/resources/run/expects-a-denial.yaml"));
        final String html = java.nio.file.Files.readString(report);
        assertTrue(html.contains("<table class=matrix>"), "the demo's matrices are drawn");
        assertTrue(html.contains("<div class=policyname>prod/db-policy</div>"), "the policy step shows its policy");
        assertTrue(html.contains("class=\"deny\" title=\"probe: denied; answer none; nothing reached the receiver\n"
            + "TCP/3306 from default/web (10.244.0.2) to prod/db (10.244.0.3): DENIED"),
            "the denied cell of the demo's policy step, with its answer and its explanation");
        assertTrue(html.contains("id=s1-t0-p0 title=\"probe: allowed (expected denied)"),
            "the failed expectation of the second scenario is marked");
        assertTrue(html.contains("<td class=fail>✗</td><td>default/a</td><td>default/b</td>"),
            "the failed expectation of the second scenario is marked");
        assertTrue(html.contains("<span class=fail>FAIL</span>") && html.contains("<span class=pass>PASS</span>"));
    }

    @Test
    void shouldExitTwoOnAnUnknownOption()
    {
        assertEquals(2, run("run", "--no-such-option", "../scenarios/library/demo.yaml"));
    }

    @Test
    void shouldPassTheSameScenarioWhenNodesRunOnTwoThreads() throws Exception
    {
        assertEquals(0, run("run", "--json", "--threads", "2", "--idle", "yield", "../scenarios/library/three-nodes-many-pods.yaml"),
            stderr());
        assertTrue(new ObjectMapper().readTree(stdout()).get("passed").asBoolean(), stdout());
    }

    @Test
    void shouldExitTwoNamingTheChoicesWhenTheIdleStrategyIsUnknown()
    {
        assertEquals(2, run("run", "--idle", "nap", "../scenarios/library/demo.yaml"));
        assertTrue(stderr().contains("--idle nap is not one of: busy-spin, yield, blocking"), stderr());
    }

    @Test
    void shouldExitTwoWhenTheThreadCountIsNegative()
    {
        assertEquals(2, run("run", "--threads", "-1", "../scenarios/library/demo.yaml"));
        assertTrue(stderr().contains("--threads -1 is negative"), stderr());
    }

    @Test
    void shouldRefuseAgentLimitsThatCannotWorkAsInvalidInput(@org.junit.jupiter.api.io.TempDir final java.nio.file.Path work)
    {
        for (final String[] bad : new String[][] {{"--ring-slots", "3"}, {"--max-captures", "0"}, {"--max-pods", "0"},
            {"--api-max-body", "10"}, {"--api-listen", "localhost"}})
        {
            final java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("agent", "--state-dir",
                work.resolve("state").toString(), "--socket", work.resolve("cni.sock").toString(), "--api-socket",
                work.resolve("api.sock").toString(), "--conf-dir", work.resolve("net.d").toString()));
            args.addAll(java.util.List.of(bad));
            assertEquals(2, run(args.toArray(String[]::new)), String.join(" ", bad) + ": " + stderr());
            assertFalse(java.nio.file.Files.exists(work.resolve("api.sock")), "nothing was served");
        }
    }
}
