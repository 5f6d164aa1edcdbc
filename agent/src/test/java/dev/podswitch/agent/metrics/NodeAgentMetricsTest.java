package dev.podswitch.agent.metrics;

import dev.podswitch.agent.NodeAgent;
import dev.podswitch.agent.api.ApiServer;
import dev.podswitch.cni.PluginClient;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon's wiring, without root (the one-node cluster on the in-memory underlay, no pod
 * attached): with a metrics address it serves its node's metrics, times the restore's compile,
 * counts the CNI requests its socket answers, reports the address in {@code GET /status}, and stops
 * serving when it closes.
 */
class NodeAgentMetricsTest
{
    @TempDir
    Path directory;

    private NodeAgent.Options options(final InetSocketAddress metrics)
    {
        return new NodeAgent.Options(directory.resolve("state"), directory.resolve("run/cni.sock"),
            directory.resolve("run/api.sock"), null, null, ClusterOptions.Underlay.MEMORY, IdleMode.BLOCKING,
            NodeAgent.Limits.DEFAULT, null, metrics);
    }

    private String status() throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(directory.resolve("run/api.sock")));
            channel.write(ByteBuffer.wrap("GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)));
            final ByteArrayOutputStream answer = new ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0)
            {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void shouldServeItsNodesCompilesAndCniRequestsWhereAskedAndStopWithTheAgent() throws Exception
    {
        assumeTrue(ApiServer.isAvailable() || "true".equals(System.getenv("CI")), "Netty epoll is not available here");
        final InetSocketAddress bound;
        try (NodeAgent agent = NodeAgent.start(options(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        {
            bound = agent.metrics().address();
            assertEquals(InetAddress.getLoopbackAddress(), bound.getAddress(), "bound where asked, nowhere else");
            final String status = status();
            assertTrue(status.contains("\"metricsAddress\" : \"127.0.0.1:" + bound.getPort() + "\""), status);

            // A request the agent's CNI socket answers without root: an ADD whose config has no name.
            final int exit = PluginClient.run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS",
                "/proc/self/ns/net", "CNI_IFNAME", "eth0", "CNI_PATH", "/opt/cni/bin"),
                "{\"cniVersion\":\"1.0.0\",\"type\":\"podswitch\"}".getBytes(StandardCharsets.UTF_8),
                directory.resolve("run/cni.sock"), PluginClient.DEFAULT_TIMEOUT_MS,
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
            assertEquals(1, exit);

            Scrape scrape = Scrape.of(agent.metrics().url());
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (!scrape.text.contains("result=\"invalid_config\"") && System.nanoTime() < deadline)
            {
                Thread.sleep(10); // counted just after the answer is written
                scrape = Scrape.of(agent.metrics().url());
            }
            assertEquals(1, scrape.value("podswitch_cni_requests_total", "command", "ADD", "result", "invalid_config"));
            assertEquals(0, scrape.value("podswitch_dropped_packets_total", "node", "node-1", "reason",
                "POLICY_DENIED_INGRESS"));
            assertEquals(512, scrape.value("podswitch_ring_slots", "node", "node-1"));
            assertTrue(scrape.value("podswitch_policy_compile_seconds_count") >= 1, "the restore's compile");
            assertTrue(scrape.text.contains("process_cpu_seconds_total"), "the process's basics too");
        }
        assertThrows(IOException.class, () -> new Socket(bound.getAddress(), bound.getPort()).close(),
            "closed with the agent");
    }
}
