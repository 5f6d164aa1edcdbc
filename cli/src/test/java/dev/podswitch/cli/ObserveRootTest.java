package dev.podswitch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code podswitch observe} on a live {@code up} lab (real namespaces, real TCP through TAPs and
 * VXLAN between two nodes): a policy lets only {@code default/web} reach {@code prod/db} on TCP 3306;
 * web's connection is a FORWARDED flow naming the allowing policy and rule, another pod's a DROPPED
 * one (POLICY_DENIED_INGRESS) naming the policy that isolates db — the flows Hubble would show.
 */
@Tag("root")
class ObserveRootTest
{
    private static final String LAB = """
        name: observe lab
        cluster:
          nodes: [node-1, node-2]
        namespaces:
          default: {}
          prod: {}
        pods:
          - {name: web, namespace: default, node: node-1, ip: 10.244.0.10, labels: {app: web}}
          - {name: other, namespace: default, node: node-1, ip: 10.244.0.11, labels: {app: other}}
          - {name: db, namespace: prod, node: node-2, ip: 10.244.1.10, labels: {app: db},
             ports: [{name: mysql, containerPort: 3306}]}
        """;
    private static final String ONLY_WEB = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-policy, namespace: prod}
        spec:
          podSelector: {matchLabels: {app: db}}
          policyTypes: [Ingress]
          ingress:
          - from:
            - namespaceSelector: {}
              podSelector: {matchLabels: {app: web}}
            ports:
            - {protocol: TCP, port: 3306}
        """;

    @TempDir
    Path work;

    @BeforeEach
    void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason()
            : LiveProbes.pingMissing();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    @Test
    void shouldShowTheAllowedAndTheDeniedConnectionWithThePoliciesThatDecided() throws Exception
    {
        final Path cluster = Files.writeString(work.resolve("lab.yaml"), LAB);
        final Map<String, String> environment = Map.of("PODSWITCH_STATE_DIR", work.resolve("labs").toString());
        try (DaemonProcess up = DaemonProcess.start(work, environment, null, "up", cluster.toString()))
        {
            final LabStateFile lab = LabStateFile.read(LabStateFile.fileFor(work.resolve("labs"), up.pid()));
            assertTrue(lab != null && lab.api() != null, up.log());
            final String api = lab.api();
            final Path policy = Files.writeString(work.resolve("policy.yaml"), ONLY_WEB);
            assertEquals(0, DaemonProcess.run(environment, "apply", "-f", policy.toString(), "--socket", api).exit());

            assertTrue(connects(namespaceOf(lab, up.log(), "default/web"), "10.244.1.10", 3306), "web reaches db");
            assertFalse(connects(namespaceOf(lab, up.log(), "default/other"), "10.244.1.10", 3306), "other does not");

            final DaemonProcess.Result observed = DaemonProcess.run(environment, "observe", "--to-pod", "prod/db",
                "--node", "node-2", "--protocol", "TCP", "--port", "3306", "-o", "json", "--socket", api);
            assertEquals(0, observed.exit(), observed.err());
            final List<JsonNode> flows = new ArrayList<>();
            for (final String line : observed.out().lines().toList())
            {
                flows.add(new ObjectMapper().readTree(line));
            }
            final JsonNode allowed = bySource(flows, "web");
            assertEquals("FORWARDED", allowed.path("verdict").asText(), allowed.toString());
            assertEquals("INGRESS", allowed.path("traffic_direction").asText());
            assertEquals("db-policy", allowed.path("ingress_allowed_by").path(0).path("name").asText(), allowed.toString());
            assertTrue(allowed.path("l4").path("TCP").path("flags").path("SYN").asBoolean(), allowed.toString());
            final JsonNode denied = bySource(flows, "other");
            assertEquals("DROPPED", denied.path("verdict").asText(), denied.toString());
            assertEquals("POLICY_DENIED_INGRESS", denied.path("drop_reason_desc").asText());
            assertEquals("prod", denied.path("ingress_denied_by").path(0).path("namespace").asText(), denied.toString());
            assertEquals("db-policy", denied.path("ingress_denied_by").path(0).path("name").asText());

            final DaemonProcess.Result compact = DaemonProcess.run(environment, "observe", "--from-pod", "default/other",
                "--verdict", "DROPPED", "--socket", api);
            assertEquals(0, compact.exit(), compact.err());
            assertTrue(compact.out().lines().anyMatch(line -> line.contains("default/other:")
                && line.contains("-> prod/db:3306 TCP SYN DROPPED (ingress denied: prod/db-policy)")), compact.out());
            final DaemonProcess.Result invalid = DaemonProcess.run(environment, "observe", "--verdict", "MAYBE", "--socket",
                api);
            assertEquals(2, invalid.exit(), "a bad filter is invalid input: " + invalid.err());
        }
    }

    private static JsonNode bySource(final List<JsonNode> flows, final String pod)
    {
        return flows.stream().filter(flow -> pod.equals(flow.path("source").path("pod_name").asText())).findFirst()
            .orElseThrow(() -> new AssertionError("no flow from " + pod + " in " + flows));
    }

    /** A TCP connection from the pod's namespace, within 2 s (a denied SYN is dropped: no answer). */
    private static boolean connects(final String namespace, final String ip, final int port) throws Exception
    {
        return NetworkNamespaces.callIn(namespace, () ->
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress(ip, port), 2_000);
                return true;
            }
            catch (final IOException failed)
            {
                return false;
            }
        });
    }

    private static String namespaceOf(final LabStateFile lab, final String printed, final String pod)
    {
        return printed.lines().map(String::strip).filter(line -> line.startsWith(pod + " ")).findFirst()
            .map(line -> line.replaceAll(".*ip netns exec (\\S+) bash.*", "$1"))
            .filter(lab.namespaces()::contains)
            .orElseThrow(() -> new AssertionError("no namespace for " + pod + " in:\n" + printed));
    }
}
