package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.CniWire;
import dev.podswitch.cni.PluginClient;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's socket against clients that misbehave: a request whose handling throws an Error, a
 * client that connects and sends nothing, more clients than the agent serves at once, a request
 * larger than the wire allows. Each is answered or cut off, and the agent goes on serving the
 * next plugin. (The preemptive timeouts are there so a regression fails instead of hanging; they
 * are minutes, far above anything measured.)
 */
class CniAgentLimitsTest
{
    private static final Duration HANG = Duration.ofMinutes(2);
    private final List<AutoCloseable> opened = new ArrayList<>();
    private HandlerFixture fixture;
    private Path socket;

    private CniAgent start(final Path directory, final CniAgent.Limits limits) throws IOException
    {
        fixture = new HandlerFixture(directory);
        socket = directory.resolve("cni.sock");
        final CniAgent agent = new CniAgent(socket, fixture.handler,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), limits).start();
        opened.add(agent);
        return agent;
    }

    @AfterEach
    void closeEverything() throws Exception
    {
        for (final AutoCloseable closeable : opened.reversed())
        {
            closeable.close();
        }
    }

    /** The plugin's ADD for {@code containerId}; returns the exit status and the JSON it printed. */
    private JsonNode add(final String containerId, final int expectedStatus)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int status = PluginClient.run(fixture.env("ADD", containerId),
            HandlerFixture.CONFIG_100.getBytes(StandardCharsets.UTF_8), socket, PluginClient.DEFAULT_TIMEOUT_MS,
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        final String stdout = out.toString(StandardCharsets.UTF_8);
        assertEquals(expectedStatus, status, stdout);
        return HandlerFixture.json(new CniHandler.Outcome(status, stdout, ""));
    }

    private SocketChannel connect() throws IOException
    {
        final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        opened.add(channel);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    @Test
    void shouldAnswerACniErrorAndServeTheNextRequestWhenHandlingThrowsAnError(@TempDir final Path directory)
        throws IOException
    {
        start(directory, CniAgent.Limits.DEFAULT);
        fixture.network.throwOnNextAttach = new StackOverflowError("deep in the agent");

        final JsonNode error = add("pod1", 1);

        assertEquals(CniVersions.ATTACH_FAILED, error.path("code").asInt(), error.toString());
        assertTrue(error.path("details").asText().contains("StackOverflowError"), error.toString());
        assertEquals("10.244.0.2/24", add("pod2", 0).path("ips").get(0).path("address").asText(),
            "the next request is served");
    }

    @Test
    void shouldCloseAConnectionThatSendsNothingWithinTheReadTimeout(@TempDir final Path directory) throws IOException
    {
        start(directory, new CniAgent.Limits(4, 200));
        final SocketChannel silent = connect();

        final int read = assertTimeoutPreemptively(HANG, () -> silent.read(ByteBuffer.allocate(16)));

        assertEquals(-1, read, "the agent closed it without an answer");
        add("pod1", 0);
    }

    @Test
    void shouldAnswerTryAgainLaterWithoutReadingWhenEveryConnectionIsTaken(@TempDir final Path directory)
        throws IOException
    {
        start(directory, new CniAgent.Limits(2, 600_000));
        connect();
        connect();

        final JsonNode busy = assertTimeoutPreemptively(HANG, () -> add("pod1", 1));

        assertEquals(CniVersions.TRY_AGAIN_LATER, busy.path("code").asInt(), busy.toString());
        assertTrue(busy.path("msg").asText().contains("busy"), busy.toString());
        assertTrue(fixture.network.attached.isEmpty(), "nothing was attached");
    }

    @Test
    void shouldCutOffARequestLargerThanTheWireAllowsAndServeTheNext(@TempDir final Path directory) throws IOException
    {
        start(directory, CniAgent.Limits.DEFAULT);
        final SocketChannel hostile = connect();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes))
        {
            // Written by hand: CniWire.writeRequest refuses to send it. The agent stops at the length.
            out.writeInt(CniWire.MAGIC);
            out.writeInt(CniWire.KIND_CNI);
            out.writeInt(0);
            out.writeInt(CniWire.MAX_BODY + 1);
        }
        hostile.write(ByteBuffer.wrap(bytes.toByteArray()));

        final int read = assertTimeoutPreemptively(HANG, () -> hostile.read(ByteBuffer.allocate(16)));

        assertEquals(-1, read, "closed without an answer");
        add("pod1", 0);
        assertEquals(List.of("pod1"), fixture.network.attached.stream().map(PodNetwork.AttachRequest::containerId).toList());
    }
}
