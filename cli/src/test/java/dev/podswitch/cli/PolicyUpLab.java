package dev.podswitch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveSupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live lab the observability root tests share: a {@code podswitch up} process on two nodes —
 * {@code default/web} (10.244.0.10) and {@code default/other} (10.244.0.11) on node-1,
 * {@code prod/db} (10.244.1.10, serving TCP 3306) on node-2 — with a policy that lets only web
 * reach db on TCP 3306, and the commands a user types against it.
 */
final class PolicyUpLab implements AutoCloseable
{
    static final String WEB_IP = "10.244.0.10";
    static final String DB_IP = "10.244.1.10";
    private static final String LAB = """
        name: observability lab
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
    private static final String ONLY_WEB_ON_3306 = """
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

    private final DaemonProcess up;
    private final LabStateFile lab;
    private final Map<String, String> environment;

    private PolicyUpLab(final DaemonProcess up, final LabStateFile lab, final Map<String, String> environment)
    {
        this.up = up;
        this.lab = lab;
        this.environment = environment;
    }

    /** Fails under CI=true, skips elsewhere, when the live lab cannot run here. */
    static void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason()
            : LiveProbes.pingMissing();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    /** Brings the lab up and applies the policy through its control API. */
    static PolicyUpLab start(final Path work) throws Exception
    {
        final Path cluster = Files.writeString(work.resolve("lab.yaml"), LAB);
        final Map<String, String> environment = Map.of("PODSWITCH_STATE_DIR", work.resolve("labs").toString());
        final DaemonProcess up = DaemonProcess.start(work, environment, null, "up", cluster.toString());
        try
        {
            final LabStateFile lab = LabStateFile.read(LabStateFile.fileFor(work.resolve("labs"), up.pid()));
            assertTrue(lab != null && lab.api() != null, up.log());
            final PolicyUpLab started = new PolicyUpLab(up, lab, environment);
            final Path policy = Files.writeString(work.resolve("policy.yaml"), ONLY_WEB_ON_3306);
            assertEquals(0, started.run("apply", "-f", policy.toString()).exit());
            return started;
        }
        catch (final Exception | Error failed)
        {
            up.close();
            throw failed;
        }
    }

    /** {@code podswitch ARGS --socket API} against this lab. */
    DaemonProcess.Result run(final String... arguments) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of(arguments));
        all.addAll(List.of("--socket", lab.api()));
        return DaemonProcess.run(environment, all.toArray(String[]::new));
    }

    /** {@code observe … -o json}, parsed: one flow a line. */
    List<JsonNode> observeJson(final String... filters) throws Exception
    {
        final List<String> arguments = new ArrayList<>(List.of("observe"));
        arguments.addAll(List.of(filters));
        arguments.addAll(List.of("-o", "json"));
        final DaemonProcess.Result observed = run(arguments.toArray(String[]::new));
        assertEquals(0, observed.exit(), observed.err());
        final List<JsonNode> flows = new ArrayList<>();
        for (final String line : observed.out().lines().toList())
        {
            flows.add(new ObjectMapper().readTree(line));
        }
        return flows;
    }

    /** The network namespace of a pod of the lab, as `up` printed it. */
    String namespaceOf(final String pod) throws Exception
    {
        final String printed = up.log();
        return printed.lines().map(String::strip).filter(line -> line.startsWith(pod + " ")).findFirst()
            .map(line -> line.replaceAll(".*ip netns exec (\\S+) bash.*", "$1"))
            .filter(lab.namespaces()::contains)
            .orElseThrow(() -> new AssertionError("no namespace for " + pod + " in:\n" + printed));
    }

    @Override
    public void close() throws Exception
    {
        up.close();
    }
}
