package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.PluginClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent tells its {@link CniRequestListener} of every CNI request it answers — the command, the
 * error code answered (0 for success) and how long it took — through the real socket and plugin
 * client, refusals of a busy agent included.
 */
class CniAgentListenerTest
{
    private record Answered(String command, int errorCode, double seconds)
    {
    }

    private final List<Answered> answered = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private HandlerFixture fixture;
    private Path socket;

    private void start(final Path directory, final CniAgent.Limits limits) throws IOException
    {
        fixture = new HandlerFixture(directory);
        socket = directory.resolve("cni.sock");
        opened.add(new CniAgent(socket, fixture.handler, new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), limits, (command, errorCode, seconds) ->
                answered.add(new Answered(command, errorCode, seconds))).start());
    }

    @AfterEach
    void closeEverything() throws Exception
    {
        for (final AutoCloseable closeable : opened.reversed())
        {
            closeable.close();
        }
    }

    private int plugin(final String command, final String containerId, final String config)
    {
        return PluginClient.run(fixture.env(command, containerId), config.getBytes(StandardCharsets.UTF_8), socket,
            PluginClient.DEFAULT_TIMEOUT_MS, new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(new ByteArrayOutputStream()));
    }

    /** The listener runs after the answer is written, so the plugin may return a moment before it is told. */
    private void awaitAnswered(final int count) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (answered.size() < count && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertEquals(count, answered.size(), answered.toString());
    }

    @Test
    void shouldTellTheListenerEachRequestsCommandErrorCodeAndDuration(@TempDir final Path directory) throws Exception
    {
        start(directory, CniAgent.Limits.DEFAULT);

        assertEquals(0, plugin("ADD", "pod1", HandlerFixture.CONFIG_100));
        awaitAnswered(1);
        assertEquals(1, plugin("ADD", "pod1", HandlerFixture.CONFIG_100), "ADD twice");
        awaitAnswered(2);
        assertEquals(1, plugin("ADD", "pod2", "{\"cniVersion\":\"1.0.0\",\"type\":\"podswitch\"}"), "no name");
        awaitAnswered(3);
        assertEquals(0, plugin("DEL", "pod1", HandlerFixture.CONFIG_100));
        awaitAnswered(4);

        assertEquals(List.of("ADD", "ADD", "ADD", "DEL"), answered.stream().map(Answered::command).toList());
        assertEquals(List.of(0, CniVersions.ALREADY_ATTACHED, CniVersions.INVALID_CONFIG, 0),
            answered.stream().map(Answered::errorCode).toList());
        assertTrue(answered.stream().allMatch(each -> each.seconds() > 0 && each.seconds() < 10), answered.toString());
    }

    @Test
    void shouldTellTheListenerOfAConnectionRefusedUnreadAsTryAgainLater(@TempDir final Path directory) throws Exception
    {
        start(directory, new CniAgent.Limits(1, 600_000));
        final SocketChannel holding = SocketChannel.open(StandardProtocolFamily.UNIX);
        opened.add(holding);
        holding.connect(UnixDomainSocketAddress.of(socket));

        assertEquals(1, plugin("ADD", "pod1", HandlerFixture.CONFIG_100));

        awaitAnswered(1);
        assertEquals(new Answered(CniRequestListener.UNREAD, CniVersions.TRY_AGAIN_LATER, answered.getFirst().seconds()),
            answered.getFirst());
    }
}
