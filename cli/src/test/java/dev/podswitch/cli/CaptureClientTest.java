package dev.podswitch.cli;

import dev.podswitch.agent.capture.CaptureProtocol;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveEndpoints;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveDown;

import dev.podswitch.cli.CaptureClient;

import dev.podswitch.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code podswitch capture} without a lab: how it finds the lab (and says why it cannot), the
 * state file's socket entry, and what it does with records it must not trust (against a fake lab on
 * a socket of the test's own). No root needed; the capture of a running lab is
 * {@link LiveCaptureRootTest}, the queue {@code CaptureQueueTest} and the pcap writer
 * {@code PcapCaptureTest}.
 */
class CaptureClientTest
{
    private static final long EPOCH_NS = 1_709_294_400_000_000_000L;

    @Test
    void shouldSayNoLabIsRunningAndExitTwoWhenTheStateDirectoryHasNoLab(@TempDir final Path directory)
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream original = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        final int status;
        try
        {
            status = Main.commandLine().execute("capture", "--pod", "default/web", "-w",
                directory.resolve("web.pcap").toString(), "--state-dir", directory.resolve("none").toString());
        }
        finally
        {
            System.setErr(original == null ? new PrintStream(new FileOutputStream(FileDescriptor.err), true) : original);
        }
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_INVALID, status, text);
        assertTrue(text.contains("podswitch: capture: no lab is running: no state file of `podswitch up` in "), text);
        assertTrue(text.contains("podswitch up FILE"), text);
        assertFalse(Files.exists(directory.resolve("web.pcap")), "nothing is written when the capture cannot start");
    }

    @Test
    void shouldNameTheStoppedLabsWhenNoStateFileBelongsToARunningProcess(@TempDir final Path directory)
    {
        // No process has this pid: the lab crashed and left its state file.
        new LabStateFile(Long.MAX_VALUE, "crashed.yaml", List.of(), "/nowhere.sock").write(directory);
        final CaptureClient.CaptureException error = assertThrows(CaptureClient.CaptureException.class,
            () -> CaptureEndpoints.findLab(directory, null));
        assertTrue(error.getMessage().startsWith("no lab is running: the state files in " + directory
            + " are of labs that stopped (pid " + Long.MAX_VALUE + " (crashed.yaml)"), error.getMessage());
        assertTrue(error.getMessage().contains("podswitch down"), error.getMessage());
    }

    @Test
    void shouldAskForPidWhenSeveralLabsRunAndPickTheOneNamed(@TempDir final Path directory)
    {
        final long self = ProcessHandle.current().pid();
        final long parent = ProcessHandle.current().parent().orElseThrow().pid();
        new LabStateFile(self, "a.yaml", List.of(), "/run/a.sock").write(directory);
        new LabStateFile(parent, "b.yaml", List.of(), "/run/b.sock").write(directory);

        final CaptureClient.CaptureException several = assertThrows(CaptureClient.CaptureException.class,
            () -> CaptureEndpoints.findLab(directory, null));
        assertTrue(several.getMessage().startsWith("2 labs are running: "), several.getMessage());
        assertTrue(several.getMessage().contains("pid " + self + " (a.yaml)"), several.getMessage());
        assertTrue(several.getMessage().endsWith("choose one with --pid"), several.getMessage());

        assertEquals("/run/b.sock", CaptureEndpoints.findLab(directory, parent).socket());
        final CaptureClient.CaptureException unknown = assertThrows(CaptureClient.CaptureException.class,
            () -> CaptureEndpoints.findLab(directory, Long.MAX_VALUE));
        assertTrue(unknown.getMessage().startsWith("no lab of pid " + Long.MAX_VALUE + " is running"),
            unknown.getMessage());
    }

    @Test
    void shouldSayTheLabHasNoCaptureSocketYet(@TempDir final Path directory)
    {
        new LabStateFile(ProcessHandle.current().pid(), "starting.yaml", List.of()).write(directory);
        final CaptureClient.CaptureException error = assertThrows(CaptureClient.CaptureException.class,
            () -> CaptureEndpoints.findLab(directory, null));
        assertTrue(error.getMessage().contains("has no capture socket"), error.getMessage());
    }

    @Test
    void shouldSayTheLabCannotBeReachedWhenItsSocketIsGone(@TempDir final Path directory)
    {
        final Path socket = directory.resolve("lab-1.sock");
        new LabStateFile(ProcessHandle.current().pid(), "gone.yaml", List.of(), socket.toString()).write(directory);
        final CaptureClient client = new CaptureClient(new CaptureClient.Options(false, "default/web",
            directory.resolve("web.pcap"), 0, null, directory, null, null), new PrintStream(new ByteArrayOutputStream()), false);
        final CaptureClient.CaptureException error = assertThrows(CaptureClient.CaptureException.class, client::run);
        assertTrue(error.getMessage().startsWith("cannot reach the lab of pid " + ProcessHandle.current().pid() + " at "
            + socket), error.getMessage());
    }

    @Test
    void shouldKeepTheSocketInTheStateFileAndReadOldFilesWithout()
    {
        final LabStateFile state = new LabStateFile(42, "a \"b\".yaml", List.of(dev.podswitch.control.live.LiveLab.NAME_PREFIX + "1a2b3c4d"), "/run/podswitch/lab-42.sock");
        assertEquals(state, LabStateFile.parse(state.toJson()));
        final LabStateFile old = LabStateFile.parse("{\"pid\": 7, \"scenario\": \"x.yaml\", \"namespaces\": []}");
        assertNull(old.socket());
        assertEquals(Path.of("/run/podswitch/lab-42.sock"), LabStateFile.socketFor(Path.of("/run/podswitch"), 42));
    }

    @Test
    void shouldEndTheCaptureWithoutSizingAnAllocationByTheLabWhenAFrameRecordIsTooLong(@TempDir final Path directory)
        throws Exception
    {
        // A lab that answers, sends one good frame, then a frame record claiming 1 GiB — and keeps the
        // connection open: the client must end by itself, neither allocating nor waiting for the gigabyte.
        final Path socket = directory.resolve("lab.sock");
        new LabStateFile(ProcessHandle.current().pid(), "fake.yaml", List.of(), socket.toString()).write(directory);
        final byte[] good = frame(1, 60);
        try (ServerSocketChannel lab = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            lab.bind(UnixDomainSocketAddress.of(socket));
            final CompletableFuture<SocketChannel> served = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    final SocketChannel connection = lab.accept();
                    assertEquals(CaptureProtocol.podRequest("default/web"), CaptureProtocol.readLine(connection));
                    final ByteBuffer out = ByteBuffer.allocate(256);
                    out.put("ok psw0 on node-1\n".getBytes(StandardCharsets.UTF_8));
                    out.put(CaptureProtocol.FRAME).putLong(EPOCH_NS).putInt(good.length).put(good);
                    out.put(CaptureProtocol.FRAME).putLong(EPOCH_NS).putInt(1 << 30).put(good);
                    out.flip();
                    while (out.hasRemaining())
                    {
                        connection.write(out);
                    }
                    return connection;
                }
                catch (final IOException failed)
                {
                    throw new java.io.UncheckedIOException(failed);
                }
            });
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final Path file = directory.resolve("web.pcap");
            final CaptureClient client = new CaptureClient(new CaptureClient.Options(false, "default/web", file, 0, null,
                directory, null, null), new PrintStream(err, true, StandardCharsets.UTF_8), false);
            final CaptureClient.Summary summary = assertTimeoutPreemptively(Duration.ofSeconds(30), client::run);
            final String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(CaptureClient.Ending.UNREADABLE, summary.ending(), text);
            assertTrue(text.contains("the lab sent a frame of 1073741824 bytes, more than the "
                + CaptureProtocol.MAX_FRAME_LENGTH + " the protocol allows"), text);
            assertEquals(1, summary.written(), "the good frame before it stays in the file");
            final byte[] pcap = Files.readAllBytes(file);
            assertEquals(24 + 16 + good.length, pcap.length, "a complete file: header and one record");
            assertArrayEquals(good, Arrays.copyOfRange(pcap, 24 + 16, pcap.length));
            served.get(30, TimeUnit.SECONDS).close();
        }
    }

    private static byte[] frame(final int seed, final int length)
    {
        final byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(seed * 31 + i);
        }
        return frame;
    }
}
