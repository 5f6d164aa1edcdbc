package dev.podswitch.agent;

import dev.podswitch.agent.api.ApiServer;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon with no scenario at all: the one-node cluster built in code, served on its sockets,
 * its policies kept across a restart in the state directory, and a damaged kept state refused.
 */
class NodeAgentDefaultClusterTest
{
    @TempDir
    Path directory;

    private NodeAgent.Options options()
    {
        return new NodeAgent.Options(directory.resolve("state"), directory.resolve("run/cni.sock"),
            directory.resolve("run/api.sock"), null, null, ClusterOptions.Underlay.MEMORY, IdleMode.BLOCKING);
    }

    private String http(final String method, final String path, final String body) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(directory.resolve("run/api.sock")));
            final byte[] content = body.getBytes(StandardCharsets.UTF_8);
            channel.write(ByteBuffer.wrap((method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)));
            channel.write(ByteBuffer.wrap(content));
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
    void shouldServeTheOneNodeClusterBuiltInCodeAndKeepItsPoliciesAcrossARestart() throws Exception
    {
        assumeTrue(ApiServer.isAvailable() || "true".equals(System.getenv("CI")), "Netty epoll is not available here");
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (NodeAgent agent = NodeAgent.start(options(), new PrintStream(log, true, StandardCharsets.UTF_8)))
        {
            assertEquals(java.util.List.of(DefaultCluster.NODE), java.util.List.copyOf(
                agent.cluster().dataplane().nodes().keySet()));
            final String nodes = http("GET", "/api/v1/nodes", "");
            assertTrue(nodes.startsWith("HTTP/1.1 200") && nodes.contains("\"podCIDR\" : \"10.244.0.0/24\""), nodes);
            assertTrue(http("GET", "/api/v1/namespaces/default", "").startsWith("HTTP/1.1 200"));
            final String status = http("GET", "/status", "");
            assertTrue(status.contains("\"counters\"") && status.contains("\"received\" : 0"), status);
            final String put = http("PUT", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/deny",
                "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"deny\"},"
                    + "\"spec\":{\"podSelector\":{\"matchLabels\":{\"flag\":\"True\"}}}}");
            assertTrue(put.startsWith("HTTP/1.1 201"), put);
        }
        try (NodeAgent again = NodeAgent.start(options(), new PrintStream(new ByteArrayOutputStream())))
        {
            assertEquals("True", again.cluster().model().snapshot().policies().get("default/deny").policy().podSelector()
                .matchLabels().get("flag"), "kept and in force again, the label value still the string True");
        }
    }

    @Test
    void shouldRefuseToStartOverAKeptStateItCannotRead() throws Exception
    {
        assumeTrue(ApiServer.isAvailable() || "true".equals(System.getenv("CI")), "Netty epoll is not available here");
        Files.createDirectories(directory.resolve("state"));
        Files.writeString(directory.resolve("state").resolve(dev.podswitch.agent.state.ClusterStateStore.FILE_NAME),
            "{\"networkPolicies\": [ {\"kind\": ");
        final IOException refused = assertThrows(IOException.class,
            () -> NodeAgent.start(options(), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(refused.getMessage().contains("will not start"), refused.getMessage());
        assertTrue(!Files.exists(directory.resolve("run/api.sock")), "nothing is served");
    }
}
