package dev.podswitch.agent.api;

import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The control API over real sockets: the owner-only Unix socket (driven with curl), limits, and the token on TCP. */
class ApiServerTest
{
    @TempDir
    Path directory;

    private final ClusterModel model = new ClusterModel(table -> { });
    private ApiServer server;

    @BeforeEach
    void start() throws Exception
    {
        assumeTrue(ApiServer.isAvailable() || "true".equals(System.getenv("CI")), "Netty epoll is not available here");
        model.apply(new ClusterChange.PutNamespace("default", Map.of()));
        server = ApiServer.start(new ControlApi(model, List::of, Map::of), ApiServer.Listen.socket(directory.resolve("api.sock")),
            new ApiServer.Limits(4096, 2, 30));
    }

    @AfterEach
    void stop()
    {
        if (server != null)
        {
            server.close();
        }
    }

    private record Curl(int exit, String out)
    {
    }

    private Curl curl(final String... arguments) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        command.addAll(List.of(arguments));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return new Curl(process.exitValue(), out);
    }

    private static void requireCurl()
    {
        final boolean present = Files.isExecutable(Path.of("/usr/bin/curl"));
        if (!present && "true".equals(System.getenv("CI")))
        {
            throw new AssertionError("curl is missing; .ci/run installs it");
        }
        assumeTrue(present, "curl is not installed (apt-get install curl)");
    }

    @Test
    void shouldServeTheApiToCurlOnAnOwnerOnlyUnixSocket() throws Exception
    {
        requireCurl();
        final Path socket = directory.resolve("api.sock");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        final Curl namespaces = curl("--unix-socket", socket.toString(), "http://x/api/v1/namespaces");
        assertEquals(0, namespaces.exit(), namespaces.out());
        assertTrue(namespaces.out().contains("\"NamespaceList\""), namespaces.out());

        final Curl put = curl("--unix-socket", socket.toString(), "-X", "PUT", "-H", "Content-Type: application/json",
            "--data", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"deny\"},"
                + "\"spec\":{\"podSelector\":{}}}",
            "http://x/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/deny");
        assertTrue(put.out().contains("\"name\" : \"deny\""), put.out());
        assertTrue(model.snapshot().policies().containsKey("default/deny"));

        final Curl bad = curl("--unix-socket", socket.toString(), "-w", "\n%{http_code}", "-X", "PUT", "--data", "{",
            "http://x/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/deny");
        assertTrue(bad.out().strip().endsWith("400"), bad.out());
        assertTrue(bad.out().contains("\"kind\" : \"Status\""), bad.out());
    }

    @Test
    void shouldAnswerATooLargeBodyWith413AndAJsonStatus() throws Exception
    {
        requireCurl();
        final Curl big = curl("--unix-socket", directory.resolve("api.sock").toString(), "-w", "\n%{http_code}", "-X", "POST",
            "--data", "{\"a\":\"" + "x".repeat(10_000) + "\"}", "http://x/apis/podswitch.dev/v1/apply");
        assertTrue(big.out().strip().endsWith("413"), big.out());
        assertTrue(big.out().contains("RequestEntityTooLarge"), big.out());
    }

    @Test
    void shouldRefuseConnectionsOverTheLimit() throws Exception
    {
        final java.nio.channels.SocketChannel first = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        final java.nio.channels.SocketChannel second = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        try (first; second)
        {
            first.connect(java.net.UnixDomainSocketAddress.of(directory.resolve("api.sock")));
            second.connect(java.net.UnixDomainSocketAddress.of(directory.resolve("api.sock")));
            requireCurl();
            // Both held open: the limit of 2 is reached, so the third connection is answered 503 and closed.
            final Curl third = curl("--unix-socket", directory.resolve("api.sock").toString(), "-w", "\n%{http_code}",
                "http://x/status");
            assertTrue(third.out().strip().endsWith("503"), third.out());
        }
    }

    @Test
    void shouldRequireTheBearerTokenOnLoopbackTcp() throws Exception
    {
        server.close();
        final Path token = directory.resolve("token");
        Files.writeString(token, "0123456789abcdef0123");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        server = ApiServer.start(new ControlApi(model, List::of, Map::of), new ApiServer.Listen(directory.resolve("api.sock"),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), token), ApiServer.Limits.DEFAULT);
        final int port = server.tcpAddress().getPort();
        assertTrue(get(port, null).startsWith("HTTP/1.1 401"));
        assertTrue(get(port, "wrong-token-wrong-token").startsWith("HTTP/1.1 401"));
        assertTrue(get(port, "0123456789abcdef0123").startsWith("HTTP/1.1 200"));
    }

    @Test
    void shouldRefuseAReadableTokenFileAndANonLoopbackAddress() throws Exception
    {
        final Path token = directory.resolve("token");
        Files.writeString(token, "0123456789abcdef0123");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
        assertThrows(IOException.class, () -> ApiServer.start(new ControlApi(model, List::of, Map::of),
            new ApiServer.Listen(directory.resolve("other.sock"), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                token), ApiServer.Limits.DEFAULT));
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        assertThrows(IOException.class, () -> ApiServer.start(new ControlApi(model, List::of, Map::of),
            new ApiServer.Listen(directory.resolve("other.sock"), new InetSocketAddress("0.0.0.0", 0), token),
            ApiServer.Limits.DEFAULT));
    }

    private static String get(final int port, final String token) throws IOException
    {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port))
        {
            socket.setSoTimeout(20_000);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
