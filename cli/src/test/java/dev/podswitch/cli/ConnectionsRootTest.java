package dev.podswitch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
 * {@code podswitch get connections} on a live {@code up} lab: a kernel TCP connection from
 * {@code default/web} (node-1) to {@code prod/db} (node-2), held open, is ESTABLISHED in both
 * nodes' conntrack tables, with both pods named, admitted under the policy in force, and charged to
 * the local pod on each node.
 */
@Tag("root")
class ConnectionsRootTest
{
    private static final String LAB = """
        name: connections lab
        cluster:
          nodes: [node-1, node-2]
        namespaces:
          default: {}
          prod: {}
        pods:
          - {name: web, namespace: default, node: node-1, ip: 10.244.0.10, labels: {app: web}}
          - {name: db, namespace: prod, node: node-2, ip: 10.244.1.10, labels: {app: db}}
        """;
    private static final int PORT = 7000;

    @TempDir
    Path work;

    @BeforeEach
    void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    @Test
    void shouldShowAnOpenTcpConnectionEstablishedOnBothNodesWithBothPodsNamed() throws Exception
    {
        final Path cluster = Files.writeString(work.resolve("lab.yaml"), LAB);
        final Map<String, String> environment = Map.of("PODSWITCH_STATE_DIR", work.resolve("labs").toString());
        try (DaemonProcess up = DaemonProcess.start(work, environment, null, "up", cluster.toString()))
        {
            final LabStateFile lab = LabStateFile.read(LabStateFile.fileFor(work.resolve("labs"), up.pid()));
            assertTrue(lab != null && lab.api() != null, up.log());
            final String api = lab.api();
            final String web = namespaceOf(lab, up.log(), "default/web");
            final String db = namespaceOf(lab, up.log(), "prod/db");
            // Sockets belong to the namespace they were made in, whichever thread uses them after.
            try (ServerSocket listener = NetworkNamespaces.callIn(db, () -> new ServerSocket(PORT));
                Socket client = NetworkNamespaces.callIn(web, () -> connect("10.244.1.10", PORT));
                Socket accepted = listener.accept())
            {
                accepted.setSoTimeout(5_000);
                client.setSoTimeout(5_000);
                client.getOutputStream().write('?');
                assertEquals('?', accepted.getInputStream().read());
                accepted.getOutputStream().write('!');
                assertEquals('!', client.getInputStream().read());

                final DaemonProcess.Result json = DaemonProcess.run(environment, "get", "connections", "-o", "json",
                    "--socket", api);
                assertEquals(0, json.exit(), json.err());
                final List<JsonNode> ours = new ArrayList<>();
                for (final JsonNode connection : new ObjectMapper().readTree(json.out()))
                {
                    if ("TCP".equals(connection.path("protocol").asText())
                        && connection.path("destination").path("port").asInt() == PORT)
                    {
                        ours.add(connection);
                    }
                }
                assertEquals(List.of("node-1", "node-2"), ours.stream().map(c -> c.path("node").asText()).sorted().toList(),
                    "tracked on the node of each end: " + json.out());
                for (final JsonNode connection : ours)
                {
                    assertEquals("ESTABLISHED", connection.path("state").asText(), connection.toString());
                    assertEquals("10.244.0.10", connection.path("source").path("ip").asText());
                    assertEquals(client.getLocalPort(), connection.path("source").path("port").asInt());
                    assertEquals("default/web", connection.path("source").path("pod").asText(), connection.toString());
                    assertEquals("10.244.1.10", connection.path("destination").path("ip").asText());
                    assertEquals("prod/db", connection.path("destination").path("pod").asText(), connection.toString());
                    assertEquals("ALLOWED", connection.path("admitted").asText());
                    assertTrue(connection.path("policyGeneration").isNumber(), connection.toString());
                    assertTrue(connection.path("ageSeconds").asLong(-1) >= 0, connection.toString());
                    assertTrue(connection.path("expiresInSeconds").asLong() > 86_400, "established: days: " + connection);
                    assertEquals("node-1".equals(connection.path("node").asText()) ? "default/web" : "prod/db",
                        connection.path("zone").asText(), "charged to the node's own pod: " + connection);
                }

                final DaemonProcess.Result node2 = DaemonProcess.run(environment, "get", "conn", "--node", "node-2",
                    "-o", "json", "--socket", api);
                assertEquals(0, node2.exit(), node2.err());
                final JsonNode node2Items = new ObjectMapper().readTree(node2.out());
                assertTrue(node2Items.size() > 0, node2.out());
                node2Items.forEach(item -> assertEquals("node-2", item.path("node").asText(), node2.out()));

                final DaemonProcess.Result table = DaemonProcess.run(environment, "get", "connections", "--socket", api);
                assertEquals(0, table.exit(), table.err());
                assertTrue(table.out().lines().anyMatch(line -> line.startsWith("node-2") && line.contains("ESTABLISHED")
                    && line.contains("10.244.0.10:" + client.getLocalPort() + " (default/web)")
                    && line.contains("10.244.1.10:" + PORT + " (prod/db)")), table.out());

                final DaemonProcess.Result unknown = DaemonProcess.run(environment, "get", "connections", "--node",
                    "node-9", "--socket", api);
                assertEquals(1, unknown.exit(), unknown.err());
                assertTrue(unknown.err().contains("node-9"), unknown.err());
            }
        }
    }

    private static Socket connect(final String ip, final int port) throws IOException
    {
        final Socket socket = new Socket();
        try
        {
            socket.connect(new InetSocketAddress(ip, port), 5_000);
            return socket;
        }
        catch (final IOException failed)
        {
            socket.close();
            throw failed;
        }
    }

    private static String namespaceOf(final LabStateFile lab, final String printed, final String pod)
    {
        return printed.lines().map(String::strip).filter(line -> line.startsWith(pod + " ")).findFirst()
            .map(line -> line.replaceAll(".*ip netns exec (\\S+) bash.*", "$1"))
            .filter(lab.namespaces()::contains)
            .orElseThrow(() -> new AssertionError("no namespace for " + pod + " in:\n" + printed));
    }
}
