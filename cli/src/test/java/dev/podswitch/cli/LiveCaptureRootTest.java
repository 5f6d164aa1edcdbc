package dev.podswitch.cli;

import dev.podswitch.agent.capture.CaptureProtocol;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveEndpoints;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveDown;

import dev.podswitch.cli.CaptureClient;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.load.ScenarioLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code podswitch capture} against a running {@code podswitch up} lab of two nodes: a pod's
 * port and both nodes' VXLAN tunnel ports captured while a ping and a TCP connection cross the
 * nodes, the pcap files read back by tshark (a decoder nobody here wrote); the count limit, the
 * end of the lab, and the errors a user meets (unknown pod or node, a port captured twice).
 * Needs root, /dev/net/tun, iproute2, ping and tshark: skips with the reason elsewhere, fails
 * under CI=true. The lab's namespaces and links are {@code psw…} and go when it stops.
 */
@Tag("root")
class LiveCaptureRootTest
{
    private static final String SCENARIO = """
        name: capture — a pod and the tunnel between two nodes
        cluster:
          nodes: [node-1, node-2]
        pods:
          - {name: client, namespace: default, node: node-1, ip: 10.244.0.10}
          - {name: server, namespace: default, node: node-2, ip: 10.244.1.10,
             ports: [{name: http, containerPort: 8080}]}
        """;
    private static final String CLIENT_IP = "10.244.0.10";
    private static final String SERVER_IP = "10.244.1.10";
    private static final long WAIT_S = 30;
    /** The lab and each capture on a thread of its own, as in their own terminals (not the small common pool). */
    private static final Executor OWN_THREAD = task -> Thread.ofPlatform().daemon(true).start(task);

    @BeforeEach
    void requireLiveLabAndTshark()
    {
        String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason()
            : LiveProbes.pingMissing();
        if (missing == null && !tsharkAvailable())
        {
            missing = "tshark is not installed (apt-get install tshark)";
        }
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live capture tests must run, but " + missing);
        }
        final String reason = missing;
        assumeTrue(reason == null, () -> "root test skipped: " + reason);
    }

    @Test
    void shouldCaptureAPodAndTheTunnelWhileTrafficRunsAndEndWithTheLab(@TempDir final Path directory) throws Exception
    {
        final Path scenarioFile = directory.resolve("capture.yaml");
        Files.writeString(scenarioFile, SCENARIO);
        final Path stateDirectory = directory.resolve("state");
        final CountDownLatch stop = new CountDownLatch(1);
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final CompletableFuture<Void> up = CompletableFuture.runAsync(() -> LiveUp.serve(load(scenarioFile),
            ClusterOptions.Underlay.UDP, IdleMode.BLOCKING, stateDirectory,
            new PrintStream(printed, true, StandardCharsets.UTF_8), stop), OWN_THREAD);
        final List<Running> captures = new ArrayList<>();
        List<String> namespaces = List.of();
        try
        {
            waitFor(() -> printed.toString(StandardCharsets.UTF_8).contains("tears everything down") || up.isDone(),
                "the lab to come up");
            final String text = printed.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("podswitch capture --pod default/client -w pod.pcap --state-dir " + stateDirectory),
                text);
            final long pid = ProcessHandle.current().pid();
            final LabStateFile state = LabStateFile.parse(Files.readString(LabStateFile.fileFor(stateDirectory, pid)));
            namespaces = state.namespaces();
            assertEquals(LabStateFile.socketFor(stateDirectory, pid).toString(), state.socket());
            final Map<String, String> namespaceOf = namespaces(text);
            final String client = namespaceOf.get("default/client");

            // The errors a user meets, while the lab runs.
            final CaptureClient.CaptureException unknownPod = assertThrows(CaptureClient.CaptureException.class,
                () -> client(directory, false, "default/nope", "x.pcap", 0, null).run());
            assertEquals("no pod default/nope here; the pods: default/client, default/server",
                unknownPod.getMessage());
            final CaptureClient.CaptureException unknownNode = assertThrows(CaptureClient.CaptureException.class,
                () -> client(directory, true, "node-3", "x.pcap", 0, null).run());
            assertEquals("no node node-3 with a tunnel port in this lab; its nodes: node-1, node-2",
                unknownNode.getMessage());
            assertFalse(Files.exists(directory.resolve("x.pcap")), "a refused capture writes no file");

            final Running server = start(captures, client(directory, false, "default/server", "server.pcap", 0, null));
            final Running tunnel1 = start(captures, client(directory, true, "node-1", "tunnel-1.pcap", 0, null));
            final Running tunnel2 = start(captures, client(directory, true, "node-2", "tunnel-2.pcap", 0, null));
            final Running counted = start(captures, client(directory, false, "client", "counted.pcap", 3, null));
            final CaptureClient.CaptureException twice = assertThrows(CaptureClient.CaptureException.class,
                () -> client(directory, false, "default/server", "twice.pcap", 0, null).run());
            assertTrue(twice.getMessage().startsWith("default/server is being captured already"), twice.getMessage());

            // Traffic, only between the lab's own namespaces: an ICMP echo and a TCP connection to the served port.
            final IpCommand.Result ping = IpCommand.execIn(client, "ping", "-c", "2", "-i", "0.2", "-w", "5", SERVER_IP);
            assertTrue(ping.succeeded(), ping.output());
            final String seen = NetworkNamespaces.callIn(client, () ->
            {
                try (Socket socket = new Socket())
                {
                    socket.connect(new InetSocketAddress(SERVER_IP, 8080), 3_000);
                    socket.setSoTimeout(3_000);
                    final InputStream in = socket.getInputStream();
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                }
            });
            assertEquals(CLIENT_IP, seen, "the server saw the client's own address");

            // 2 echo requests + 2 replies + a handshake, data and close: at least 10 frames on each port.
            waitFor(() -> server.client.written() >= 10 && tunnel1.client.written() >= 10, "the frames to arrive");
            Thread.sleep(300);
            server.client.stop();
            tunnel1.client.stop();
            final CaptureClient.Summary serverSummary = server.summary();
            final CaptureClient.Summary tunnelSummary = tunnel1.summary();
            assertEquals(CaptureClient.Ending.STOPPED, serverSummary.ending());
            assertEquals(0, serverSummary.notQueued());
            assertEquals(0, tunnelSummary.notQueued());
            final CaptureClient.Summary countedSummary = counted.summary();
            assertEquals(CaptureClient.Ending.COUNT, countedSummary.ending());
            assertEquals(3, countedSummary.written());
            assertEquals(3, tshark(directory.resolve("counted.pcap"), "frame", "frame.number").size());
            assertTrue(server.err.toString(StandardCharsets.UTF_8).contains("frames written to "),
                server.err.toString(StandardCharsets.UTF_8));

            // A stopped capture gives its port back: it can be captured again.
            final Running again = start(captures, client(directory, false, "default/server", "again.pcap", 0,
                Duration.ofMillis(500)));
            assertEquals(CaptureClient.Ending.DURATION, again.summary().ending());

            // The pod's port: what the server received (the SYN, the echo request, with the client's own
            // address: no NAT) and what it answered.
            final Path serverFile = directory.resolve("server.pcap");
            assertEquals(serverSummary.written(), tshark(serverFile, "frame", "frame.number").size());
            assertTrue(tshark(serverFile, "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8080",
                "ip.src", "ip.dst").contains(CLIENT_IP + "\t" + SERVER_IP), "the SYN to the served port");
            assertTrue(tshark(serverFile, "tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 8080",
                "ip.src", "ip.dst").contains(SERVER_IP + "\t" + CLIENT_IP), "the SYN-ACK the server sent");
            assertEquals(List.of(CLIENT_IP + "\t" + SERVER_IP, CLIENT_IP + "\t" + SERVER_IP),
                tshark(serverFile, "icmp.type == 8", "ip.src", "ip.dst"), "both echo requests");
            assertEquals(2, tshark(serverFile, "icmp.type == 0 && ip.src == " + SERVER_IP, "frame.number").size(),
                "both echo replies");

            // Node-1's tunnel port: requests leave as VXLAN (outer frames as sent), replies come in
            // decapsulated and are shown with their outer headers put back: VXLAN both ways, VNI 1.
            final Path tunnelFile = directory.resolve("tunnel-1.pcap");
            final List<String> requests = tshark(tunnelFile, "vxlan && icmp.type == 8", "vxlan.vni", "ip.src", "ip.dst",
                "udp.dstport");
            final List<String> replies = tshark(tunnelFile, "vxlan && icmp.type == 0", "vxlan.vni", "ip.src", "ip.dst",
                "udp.dstport");
            assertEquals(2, requests.size(), "requests: " + requests);
            assertEquals(2, replies.size(), "replies: " + replies);
            final String[] request = requests.getFirst().split("\t");
            final String[] reply = replies.getFirst().split("\t");
            assertEquals("1", request[0]);
            assertEquals("1", reply[0]);
            final String vtep1 = request[1].split(",")[0];
            final String vtep2 = request[2].split(",")[0];
            assertNotEquals(vtep1, vtep2);
            assertEquals(vtep1 + "," + CLIENT_IP, request[1], "outer and inner source of a request");
            assertEquals(vtep2 + "," + SERVER_IP, request[2], "outer and inner destination of a request");
            assertEquals(vtep2 + "," + SERVER_IP, reply[1], "outer and inner source of a reply");
            assertEquals(vtep1 + "," + CLIENT_IP, reply[2], "outer and inner destination of a reply");
            assertEquals("4789", request[3]);
            assertEquals("4789", reply[3]);
            assertTrue(tshark(tunnelFile, "vxlan && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8080",
                "ip.src").contains(vtep1 + "," + CLIENT_IP), "the SYN, encapsulated");
            assertEquals(List.of(), tshark(tunnelFile, "!vxlan", "frame.number"), "every frame is VXLAN");
            assertEquals(List.of(), tshark(tunnelFile, "ip.checksum.status == 0", "frame.number"),
                "every IPv4 checksum, outer ones put back included, is right");

            // The lab stops while node-2's tunnel is still captured: the capture ends and keeps its frames,
            // the requests node-2 received with the same outer addresses node-1 sent them with.
            stop.countDown();
            up.get(WAIT_S, TimeUnit.SECONDS);
            final CaptureClient.Summary tunnel2Summary = tunnel2.summary();
            assertEquals(CaptureClient.Ending.LAB_STOPPED, tunnel2Summary.ending());
            assertEquals(requests, tshark(directory.resolve("tunnel-2.pcap"), "vxlan && icmp.type == 8", "vxlan.vni",
                "ip.src", "ip.dst", "udp.dstport"));
            assertFalse(Files.exists(LabStateFile.socketFor(stateDirectory, pid)), "the socket is gone with the lab");
            assertEquals(List.of(), LabStateFile.list(stateDirectory), "the state file is gone");
        }
        finally
        {
            stop.countDown();
            captures.forEach(running -> running.client.stop());
            up.get(WAIT_S, TimeUnit.SECONDS);
        }
        final List<String> left = LiveLab.leftoverNamespaces();
        final List<String> made = namespaces;
        assertTrue(made.stream().noneMatch(left::contains), "every namespace is gone: " + left);
    }

    /** A capture running on its own thread, as {@code podswitch capture} runs in its own terminal. */
    private record Running(CaptureClient client, CompletableFuture<CaptureClient.Summary> result,
        ByteArrayOutputStream err)
    {
        CaptureClient.Summary summary() throws Exception
        {
            return result.get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    private static TestClient client(final Path directory, final boolean tunnel, final String name, final String file,
        final long count, final Duration duration)
    {
        return new TestClient(directory, tunnel, name, file, count, duration);
    }

    /** A capture client whose messages are kept. */
    private static final class TestClient
    {
        private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        private final CaptureClient client;

        TestClient(final Path directory, final boolean tunnel, final String name, final String file, final long count,
            final Duration duration)
        {
            this.client = new CaptureClient(new CaptureClient.Options(tunnel, name, directory.resolve(file), count,
                duration, directory.resolve("state"), null, null), new PrintStream(errBytes, true, StandardCharsets.UTF_8),
                false);
        }

        CaptureClient.Summary run()
        {
            return client.run();
        }

        void stop()
        {
            client.stop();
        }

        long written()
        {
            return client.written();
        }
    }

    private static Running start(final List<Running> captures, final TestClient client) throws Exception
    {
        final Running running = new Running(client.client, CompletableFuture.supplyAsync(client::run, OWN_THREAD),
            client.errBytes);
        captures.add(running);
        if (!client.client.awaitCapturing(WAIT_S, TimeUnit.SECONDS))
        {
            fail("the capture did not start: " + client.errBytes.toString(StandardCharsets.UTF_8));
        }
        return running;
    }

    /** Pod or host → its namespace, from up's table ("default/client  node-1  10.244.0.10  ip netns exec psw… bash"). */
    private static Map<String, String> namespaces(final String printed)
    {
        final Map<String, String> namespaceOf = new LinkedHashMap<>();
        for (final String line : printed.lines().toList())
        {
            final String[] fields = line.strip().split("\\s+");
            if (fields.length == 8 && fields[3].equals("ip") && fields[6].startsWith(LiveLab.NAME_PREFIX))
            {
                namespaceOf.put(fields[0], fields[6]);
            }
        }
        assertTrue(namespaceOf.containsKey("default/client"), printed);
        return namespaceOf;
    }

    private static dev.podswitch.scenarios.model.Scenario load(final Path file)
    {
        try
        {
            return ScenarioLoader.load(file);
        }
        catch (final Exception failed)
        {
            throw new AssertionError(failed);
        }
    }

    private static void waitFor(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static List<String> tshark(final Path file, final String filter, final String... fields)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(),
            "-o", "ip.check_checksum:TRUE", "-Y", filter, "-T", "fields"));
        for (final String field : fields)
        {
            command.add("-e");
            command.add(field);
        }
        final Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, process.exitValue(), "tshark failed on " + file + ": " + errors);
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    private static boolean tsharkAvailable()
    {
        try
        {
            return new ProcessBuilder("tshark", "-v").redirectErrorStream(true).start().waitFor() == 0;
        }
        catch (final IOException | InterruptedException missing)
        {
            return false;
        }
    }
}
