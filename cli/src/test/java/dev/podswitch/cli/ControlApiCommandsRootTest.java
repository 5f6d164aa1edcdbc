package dev.podswitch.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The control API's command line — get, apply, delete, label, status, the policy alias — and curl,
 * against a running {@code podswitch agent} and a running {@code podswitch up} lab, each a real
 * process, as a user would drive them. On the lab, what apply and delete say is checked with
 * real pings between the pods' namespaces.
 */
@Tag("root")
class ControlApiCommandsRootTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLUSTER = """
        name: control API lab
        cluster:
          nodes: [node-1]
        namespaces:
          default: {}
        pods:
          - {name: web, namespace: default, labels: {app: web}}
          - {name: db, namespace: default, labels: {app: db}}
        """;
    private static final String DENY_DB = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-deny, namespace: default}
        spec:
          podSelector: {matchLabels: {app: db}}
          policyTypes: [Ingress]
        """;
    private static final String INVALID_SECOND = DENY_DB + """
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: broken, namespace: default}
        spec:
          podSelector: {matchLabels: {app: 7}}
        """;
    private static final String POD_SECOND = DENY_DB + """
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: extra}
        spec: {containers: [{name: c, image: x}]}
        """;

    @TempDir
    Path work;

    @BeforeEach
    void requireLiveLab()
    {
        String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason() : LiveProbes.pingMissing();
        if (missing == null && !Files.isExecutable(Path.of("/usr/bin/curl")))
        {
            missing = "curl is not installed (apt-get install curl)";
        }
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        final String reason = missing;
        assumeTrue(reason == null, () -> "root test skipped: " + reason);
    }

    @Test
    void shouldServeTheCommandsOnAnAgent() throws Exception
    {
        final Path cluster = Files.writeString(work.resolve("cluster.yaml"), CLUSTER);
        final Path api = work.resolve("run/api.sock");
        try (DaemonProcess agent = DaemonProcess.start(work, Map.of(), api, "agent", "--state-dir",
            work.resolve("state").toString(), "--socket", work.resolve("run/cni.sock").toString(), "--api-socket",
            api.toString(), "--conf-dir", work.resolve("net.d").toString(), "--scenario", cluster.toString()))
        {
            exerciseCommands(api, Map.of(), agent, null);
        }
    }

    @Test
    void shouldServeTheCommandsOnAnUpLabFoundByItsStateFile() throws Exception
    {
        final Path cluster = Files.writeString(work.resolve("cluster.yaml"), CLUSTER);
        final Map<String, String> environment = Map.of("PODSWITCH_STATE_DIR", work.resolve("labs").toString());
        try (DaemonProcess up = DaemonProcess.start(work, environment, null, "up", cluster.toString()))
        {
            final LabStateFile lab = LabStateFile.read(LabStateFile.fileFor(work.resolve("labs"), up.pid()));
            assertTrue(lab != null && lab.api() != null, up.log());
            final Path api = Path.of(lab.api());
            if (!Files.exists(ApiTargetDefault.PATH))
            {
                // No --socket and no PODSWITCH_SOCKET: the command finds the one running lab by its state file.
                final DaemonProcess.Result found = DaemonProcess.run(environment, "get", "nodes");
                assertEquals(0, found.exit(), found.err());
                assertTrue(found.out().contains("node-1"), found.out());
            }
            final String web = namespaceOf(lab, up.log(), "default/web");
            final String dbIp = ipOf(api, "db");
            final BooleanSupplier webReachesDb = () -> ping(web, dbIp);
            assertTrue(webReachesDb.getAsBoolean(), "no policy yet: web reaches db");
            exerciseCommands(api, environment, up, webReachesDb);
            assertTrue(webReachesDb.getAsBoolean(), "the policy was deleted again: web reaches db");
        }
    }

    /** The one place that knows the agent's default socket path, so the test can tell whether one is running. */
    private static final class ApiTargetDefault
    {
        static final Path PATH = dev.podswitch.cli.api.ApiTarget.AGENT_DEFAULT;
    }

    /** @param webReachesDb a real probe where the test can make one, else null. */
    private void exerciseCommands(final Path api, final Map<String, String> environment, final DaemonProcess daemon,
        final BooleanSupplier webReachesDb) throws Exception
    {
        final String socket = api.toString();
        final DaemonProcess.Result nodes = DaemonProcess.run(environment, "get", "nodes", "--socket", socket);
        assertEquals(0, nodes.exit(), nodes.err() + daemon.log());
        assertTrue(nodes.out().contains("node-1") && nodes.out().contains("Ready") && nodes.out().contains("10.244.0.0/24"),
            nodes.out());

        final List<Map<String, Object>> pods = array(DaemonProcess.run(environment, "get", "pods", "-o", "json",
            "--socket", socket));
        assertEquals(List.of("default/web", "default/db"), pods.stream()
            .map(pod -> pod.get("namespace") + "/" + pod.get("name")).toList());
        assertEquals(Map.of("app", "web"), pods.getFirst().get("labels"));
        assertEquals("node-1", pods.getFirst().get("node"));
        assertTrue(String.valueOf(pods.getFirst().get("ip")).startsWith("10.244.0."));

        // All or nothing: a valid policy followed by an invalid one, or by a kind the daemon does not take.
        final DaemonProcess.Result invalid = DaemonProcess.run(environment, "apply", "-f",
            Files.writeString(work.resolve("invalid.yaml"), INVALID_SECOND).toString(), "--socket", socket);
        assertEquals(2, invalid.exit(), invalid.out() + invalid.err());
        assertTrue(invalid.err().contains("invalid.yaml:") && invalid.err().contains("spec.podSelector.matchLabels"),
            invalid.err());
        final DaemonProcess.Result pod = DaemonProcess.run(environment, "apply", "-f",
            Files.writeString(work.resolve("pod.yaml"), POD_SECOND).toString(), "--socket", socket);
        assertEquals(2, pod.exit(), pod.out() + pod.err());
        assertEquals(List.of(), array(DaemonProcess.run(environment, "get", "networkpolicies", "-o", "json",
            "--socket", socket)), "nothing was applied");

        final DaemonProcess.Result applied = DaemonProcess.run(environment, "apply", "-f",
            Files.writeString(work.resolve("deny.yaml"), DENY_DB).toString(), "--socket", socket);
        assertEquals(0, applied.exit(), applied.err());
        assertEquals("networkpolicy default/db-deny created", applied.out().strip());
        final DaemonProcess.Result listed = DaemonProcess.run(environment, "get", "netpol", "--socket", socket);
        assertTrue(listed.out().contains("db-deny") && listed.out().contains("app=db"), listed.out());
        if (webReachesDb != null)
        {
            assertFalse(webReachesDb.getAsBoolean(), "applied through the API: web no longer reaches db");
        }

        assertEquals(0, DaemonProcess.run(environment, "label", "pod", "default/web", "role=frontend", "--socket", socket)
            .exit());
        assertEquals(0, DaemonProcess.run(environment, "label", "namespace", "default", "env=dev", "--socket", socket)
            .exit());
        final List<Map<String, Object>> relabelled = array(DaemonProcess.run(environment, "get", "pods", "-o", "json",
            "--socket", socket));
        assertEquals(Map.of("app", "web", "role", "frontend"), relabelled.getFirst().get("labels"));
        final DaemonProcess.Result namespaces = DaemonProcess.run(environment, "get", "ns", "-o", "yaml", "--socket", socket);
        assertTrue(namespaces.out().contains("env: dev"), namespaces.out());
        final DaemonProcess.Result badLabel = DaemonProcess.run(environment, "label", "pod", "default/web", "bad key=x",
            "--socket", socket);
        assertEquals(2, badLabel.exit(), badLabel.err());
        assertTrue(badLabel.err().contains("metadata.labels"), badLabel.err());

        final DaemonProcess.Result status = DaemonProcess.run(environment, "status", "--socket", socket);
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("networkPolicies: 1") && status.out().contains("pods: 2"), status.out());

        final Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "20", "--unix-socket", socket,
            "http://x/api/v1/pods").start();
        final String curled = new String(curl.getInputStream().readAllBytes());
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS) && curl.exitValue() == 0);
        assertTrue(curled.contains("\"PodList\"") && curled.contains("\"podIP\""), curled);

        // Captures are served by the same daemon code: the status names the socket, capture finds it.
        final Path pcap = work.resolve("web-" + daemon.pid() + ".pcap");
        final DaemonProcess.Result captured = DaemonProcess.run(environment, "capture", "--pod", "default/web", "-w",
            pcap.toString(), "--duration", "0.5", "--socket", socket);
        assertEquals(0, captured.exit(), captured.out() + captured.err());
        final byte[] header = Files.readAllBytes(pcap);
        assertTrue(header.length >= 24 && (header[0] & 0xFF) == 0xD4 && (header[1] & 0xFF) == 0xC3,
            "a pcap file (little-endian magic a1b2c3d4)");
        final DaemonProcess.Result unknown = DaemonProcess.run(environment, "capture", "--pod", "default/nope", "-w",
            work.resolve("nope.pcap").toString(), "--duration", "0.5", "--socket", socket);
        assertTrue(unknown.exit() != 0 && unknown.err().contains("no pod default/nope here"), unknown.err());

        final DaemonProcess.Result deleted = DaemonProcess.run(environment, "delete", "networkpolicy", "default/db-deny",
            "--socket", socket);
        assertEquals(0, deleted.exit(), deleted.err());
        assertEquals(1, DaemonProcess.run(environment, "delete", "networkpolicy", "default/db-deny", "--socket", socket)
            .exit(), "deleting what is not there fails");
        // The spelling of earlier releases still works.
        assertEquals(0, DaemonProcess.run(environment, "policy", "apply", "-f", work.resolve("deny.yaml").toString(),
            "--socket", socket).exit());
        assertEquals(0, DaemonProcess.run(environment, "policy", "delete", "default/db-deny", "--socket", socket).exit());
    }

    private static List<Map<String, Object>> array(final DaemonProcess.Result result) throws Exception
    {
        assertEquals(0, result.exit(), result.err());
        return JSON.readValue(result.out(), new TypeReference<>()
        {
        });
    }

    private String ipOf(final Path api, final String pod) throws Exception
    {
        for (final Map<String, Object> entry : array(DaemonProcess.run(Map.of(), "get", "pods", "-o", "json", "--socket",
            api.toString())))
        {
            if (pod.equals(entry.get("name")))
            {
                return String.valueOf(entry.get("ip"));
            }
        }
        throw new AssertionError("no pod " + pod);
    }

    /** The lab's namespace for a pod, from what up printed ({@code POD NODE IP ip netns exec NS bash}). */
    private static String namespaceOf(final LabStateFile lab, final String printed, final String pod)
    {
        return printed.lines().map(String::strip).filter(line -> line.startsWith(pod + " ")).findFirst()
            .map(line -> line.replaceAll(".*ip netns exec (\\S+) bash.*", "$1"))
            .filter(lab.namespaces()::contains)
            .orElseThrow(() -> new AssertionError("no namespace for " + pod + " in:\n" + printed));
    }

    private static boolean ping(final String namespace, final String ip)
    {
        return IpCommand.execIn(namespace, "ping", "-c", "1", "-W", "1", ip).succeeded();
    }
}
