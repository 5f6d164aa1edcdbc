package dev.podswitch.agent.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The capture server's connection cap, on a socket of the test's own and without a lab: clients
 * that connect and say nothing hold every slot, and one more is refused by the acceptor at once —
 * with an answer, before any thread is started for it — until a slot is free again.
 */
class CaptureServerTest
{
    private static final long WAIT_S = 10;

    @Test
    void shouldRefuseAConnectionOverTheCapWithoutStartingAThreadForIt(@TempDir final Path directory) throws Exception
    {
        final List<SocketChannel> silent = new ArrayList<>();
        final int threadsBefore = connectionThreads();
        try (CaptureServer server = CaptureServer.start(directory.resolve("lab.sock"), Map.of(), Map.of()))
        {
            for (int i = 0; i < CaptureServer.MAX_CONNECTIONS; i++)
            {
                silent.add(connect(server.path()));
            }
            waitFor(() -> server.connections() == CaptureServer.MAX_CONNECTIONS, "every silent client to hold a slot");

            for (int extra = 0; extra < 3; extra++)
            {
                try (SocketChannel refused = connect(server.path()))
                {
                    final String answer = CaptureProtocol.readLine(refused);
                    assertTrue(answer.startsWith(CaptureProtocol.ERROR + " too many captures at once (at most "
                        + CaptureServer.MAX_CONNECTIONS), answer);
                    assertNull(CaptureProtocol.readLine(refused), "then the server closes it");
                }
            }
            assertEquals(CaptureServer.MAX_CONNECTIONS, server.connections());
            assertEquals(CaptureServer.MAX_CONNECTIONS, connectionThreads() - threadsBefore,
                "one thread per admitted connection, none for the refused ones");

            // A client that leaves frees its slot: the next one is served (and told there is no such pod).
            silent.removeFirst().close();
            waitFor(() -> server.connections() == CaptureServer.MAX_CONNECTIONS - 1, "the slot to be freed");
            try (SocketChannel next = connect(server.path()))
            {
                write(next, CaptureProtocol.podRequest("default/web") + "\n");
                assertEquals(CaptureProtocol.ERROR + " no pod default/web here; the pods: ",
                    CaptureProtocol.readLine(next));
            }
        }
        finally
        {
            for (final SocketChannel channel : silent)
            {
                channel.close();
            }
        }
        waitFor(() -> connectionThreads() == threadsBefore, "the connection threads to end");
    }

    private static SocketChannel connect(final Path socket) throws IOException
    {
        final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    private static void write(final SocketChannel channel, final String text) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining())
        {
            channel.write(bytes);
        }
    }

    private static int connectionThreads()
    {
        return (int)Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.isAlive() && thread.getName().equals("psw-capture-client")).count();
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
            Thread.sleep(20);
        }
    }
}
