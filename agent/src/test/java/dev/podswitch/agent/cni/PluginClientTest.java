package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.CniWire;
import dev.podswitch.cni.PluginClient;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin binary's client: VERSION answered without the agent (runtimes ask before it may be
 * up), the spec's "try again later" when no agent answers, and everything else handed to the agent
 * and printed back as the agent says — exit status, stdout and stderr.
 */
class PluginClientTest
{
    private record Run(int status, String stdout, String stderr)
    {
        JsonNode json()
        {
            return HandlerFixture.json(new CniHandler.Outcome(status, stdout, stderr));
        }
    }

    private static Run run(final Map<String, String> env, final String stdin, final Path socket)
    {
        return run(env, stdin.getBytes(StandardCharsets.UTF_8), socket, PluginClient.DEFAULT_TIMEOUT_MS);
    }

    private static Run run(final Map<String, String> env, final byte[] stdin, final Path socket, final long timeoutMs)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = PluginClient.run(env, stdin, socket,
            timeoutMs, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldAnswerVersionItselfWithNoAgentRunning(@TempDir final Path directory)
    {
        final Run run = run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}", directory.resolve("none.sock"));

        assertEquals(0, run.status());
        assertEquals("1.0.0", run.json().path("cniVersion").asText());
        assertEquals(CniVersions.SUPPORTED, HandlerFixture.texts(run.json().path("supportedVersions")));
    }

    @Test
    void shouldAnswerVersionInTheLatestVersionWhenStdinNamesNone(@TempDir final Path directory)
    {
        final Run run = run(Map.of("CNI_COMMAND", "VERSION"), "", directory.resolve("none.sock"));

        assertEquals(CniVersions.LATEST, run.json().path("cniVersion").asText());
    }

    @Test
    void shouldPrintTryAgainLaterInTheCallersVersionAndExit1WhenNoAgentAnswers(@TempDir final Path directory)
    {
        final Path socket = directory.resolve("none.sock");

        final Run run = run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1"),
            "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}", socket);

        assertEquals(1, run.status());
        final JsonNode error = run.json();
        assertEquals(CniVersions.TRY_AGAIN_LATER, error.path("code").asInt());
        assertEquals("1.0.0", error.path("cniVersion").asText());
        assertTrue(error.path("details").asText().contains(socket.toString()), "names the socket: " + error);
        assertTrue(error.path("details").asText().contains("podswitch agent"), "says how to start one: " + error);
    }

    @Test
    void shouldAnswerStatusWithCode50WhenNoAgentAnswers(@TempDir final Path directory)
    {
        // STATUS is a readiness probe: "the daemon I need is down" is the spec's example of code 50.
        final Run run = run(Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/opt/cni/bin"),
            "{\"cniVersion\":\"1.1.0\",\"name\":\"podnet\"}", directory.resolve("none.sock"));

        assertEquals(1, run.status());
        assertEquals(CniVersions.NOT_AVAILABLE, run.json().path("code").asInt(), run.stdout());
        assertEquals("1.1.0", run.json().path("cniVersion").asText());
    }

    @Test
    void shouldForwardEnvironmentAndStdinAndRelayTheAgentsAnswer(@TempDir final Path directory) throws Exception
    {
        final Path socket = directory.resolve("agent.sock");
        try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            agent.bind(UnixDomainSocketAddress.of(socket));
            // One request, answered the way CniAgent answers: exit status, stdout, stderr.
            final CompletableFuture<CniWire.Request> received = CompletableFuture.supplyAsync(() ->
            {
                try (SocketChannel connection = agent.accept())
                {
                    final CniWire.Request request = CniWire.readRequest(
                        new DataInputStream(Channels.newInputStream(connection)));
                    CniWire.writeResponse(new DataOutputStream(Channels.newOutputStream(connection)), 7,
                        "{\"answer\":1}\n".getBytes(StandardCharsets.UTF_8), "a log line\n".getBytes(StandardCharsets.UTF_8));
                    return request;
                }
                catch (final Exception failed)
                {
                    throw new IllegalStateException(failed);
                }
            });

            final Run run = run(Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c1", "CNI_IFNAME", "eth0"),
                "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}", socket);

            final CniWire.Request request = received.get(10, TimeUnit.SECONDS);
            assertEquals(CniWire.KIND_CNI, request.kind());
            assertEquals(Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c1", "CNI_IFNAME", "eth0"), request.pairs());
            assertArrayEquals("{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}".getBytes(StandardCharsets.UTF_8),
                request.body());
            assertEquals(7, run.status(), "the agent's exit status");
            assertEquals("{\"answer\":1}\n", run.stdout());
            assertEquals("a log line\n", run.stderr());
        }
    }

    @Test
    void shouldFindTheConfigsVersionWithoutAJsonParser()
    {
        assertEquals("1.0.0", PluginClient.requestedVersion(
            "{\"name\":\"n\",\n \"cniVersion\" :  \"1.0.0\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(CniVersions.LATEST, PluginClient.requestedVersion("{not json".getBytes(StandardCharsets.UTF_8)));
    }

    /** An agent stand-in that accepts one connection and does {@code then} with it. */
    private interface Conversation
    {
        void have(SocketChannel connection) throws Exception;
    }

    private static CompletableFuture<Void> agent(final ServerSocketChannel server, final Conversation then)
    {
        return CompletableFuture.runAsync(() ->
        {
            try (SocketChannel connection = server.accept())
            {
                then.have(connection);
            }
            catch (final Exception failed)
            {
                throw new IllegalStateException(failed);
            }
        });
    }

    @Test
    void shouldAnswerTryAgainLaterWhenTheAgentDoesNotAnswerBeforeTheDeadline(@TempDir final Path directory)
        throws Exception
    {
        final Path socket = directory.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socket));
            final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            final CompletableFuture<Void> stuck = agent(server, connection -> done.await());

            // A stuck agent: without a deadline the plugin (and the runtime's pod start) waits forever.
            final Run run;
            try
            {
                run = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(2),
                    () -> run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1"),
                        "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}".getBytes(StandardCharsets.UTF_8), socket, 200));
            }
            finally
            {
                done.countDown();
            }
            stuck.get(10, TimeUnit.SECONDS);
            assertEquals(1, run.status());
            assertEquals(CniVersions.TRY_AGAIN_LATER, run.json().path("code").asInt(), run.stdout());
            assertTrue(run.json().path("details").asText().contains("200 ms"), run.stdout());
        }
    }

    @Test
    void shouldAnswerIoFailureNotTryAgainWhenTheAgentClosesWithoutAnAnswer(@TempDir final Path directory)
        throws Exception
    {
        final Path socket = directory.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socket));
            final CompletableFuture<Void> dies = agent(server,
                connection -> CniWire.readRequest(new DataInputStream(Channels.newInputStream(connection))));

            final Run run = run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1"),
                "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}", socket);

            dies.get(10, TimeUnit.SECONDS);
            assertEquals(1, run.status());
            assertEquals(CniVersions.IO_FAILURE, run.json().path("code").asInt(), run.stdout());
            assertEquals("1.0.0", run.json().path("cniVersion").asText());
        }
    }

    @Test
    void shouldAnswerAConfigLargerThanTheAgentTakesWithCode7WithoutSendingIt(@TempDir final Path directory)
    {
        final byte[] stdin = new byte[CniWire.MAX_BODY + 1];
        java.util.Arrays.fill(stdin, (byte)' ');

        final Run run = run(Map.of("CNI_COMMAND", "ADD"), stdin, directory.resolve("none.sock"),
            PluginClient.DEFAULT_TIMEOUT_MS);

        assertEquals(1, run.status());
        assertEquals(CniVersions.INVALID_CONFIG, run.json().path("code").asInt(), run.stdout());
    }

    @Test
    void shouldAnswerAnEnvironmentTooLargeToSendWithCode4(@TempDir final Path directory)
    {
        final Run run = run(Map.of("CNI_COMMAND", "ADD", "CNI_ARGS", "K8S_POD_NAME=" + "x".repeat(70_000)),
            "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}", directory.resolve("none.sock"));

        assertEquals(1, run.status());
        assertEquals(CniVersions.INVALID_ENVIRONMENT, run.json().path("code").asInt(), run.stdout());
    }
}
