package dev.podswitch.cli;

import dev.podswitch.agent.capture.CaptureProtocol;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveEndpoints;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveDown;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.scenarios.load.ScenarioLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code up} serves a scenario's initial state and removes it on stop; {@code down} removes what a state file lists. */
@Tag("root")
class LiveUpDownRootTest
{
    @BeforeEach
    void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason()
            : LiveProbes.pingMissing();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    @Test
    void shouldServeTheInitialStateUntilStoppedThenRemoveEverything(@TempDir final Path stateDirectory) throws Exception
    {
        final CountDownLatch stop = new CountDownLatch(1);
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final CompletableFuture<Void> up = CompletableFuture.runAsync(() -> LiveUp.serve(
            assertDoesNotFail(() -> ScenarioLoader.load(Path.of("../scenarios/library/external-hosts.yaml"))),
            ClusterOptions.Underlay.MEMORY, IdleMode.BLOCKING, stateDirectory,
            new PrintStream(printed, true, StandardCharsets.UTF_8), stop));
        List<String> namespaces = List.of();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!printed.toString(StandardCharsets.UTF_8).contains("tears everything down") && !up.isDone()
                && System.nanoTime() < deadline)
            {
                Thread.sleep(50);
            }
            final String text = printed.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("ip netns exec " + LiveLab.NAME_PREFIX), text);
            final Path stateFile = LabStateFile.fileFor(stateDirectory, ProcessHandle.current().pid());
            namespaces = LabStateFile.parse(Files.readString(stateFile)).namespaces();
            assertFalse(namespaces.isEmpty(), "the state file lists the namespaces");
            assertTrue(LiveLab.leftoverNamespaces().containsAll(namespaces));
            // The first pod reaches the host over the switch (no policy in the initial state).
            final String hostIp = text.lines().filter(line -> line.strip().startsWith("backup ")).findFirst()
                .map(line -> line.strip().split("\\s+")[2]).orElseThrow(() -> new AssertionError(text));
            final IpCommand.Result ping = IpCommand.execIn(namespaces.getFirst(), "ping", "-c", "1", "-w", "3", hostIp);
            assertTrue(ping.succeeded(), ping.output());
        }
        finally
        {
            stop.countDown();
            up.get(30, TimeUnit.SECONDS);
        }
        final List<String> left = LiveLab.leftoverNamespaces();
        assertTrue(namespaces.stream().noneMatch(left::contains), "every namespace is gone: " + left);
        assertEquals(List.of(), LabStateFile.list(stateDirectory), "the state file is gone");
    }

    @Test
    void shouldDeleteTheNamespacesAStateFileListsWhenItsLabIsGone(@TempDir final Path stateDirectory)
    {
        final String namespace = LiveLab.NAME_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        IpCommand.ip("netns", "add", namespace);
        try
        {
            // No process has this pid: the lab crashed.
            new LabStateFile(Long.MAX_VALUE, "crashed.yaml", List.of(namespace)).write(stateDirectory);
            final ByteArrayOutputStream printed = new ByteArrayOutputStream();
            final int deleted = LiveDown.down(stateDirectory, false, new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertEquals(1, deleted, printed.toString(StandardCharsets.UTF_8));
            assertFalse(LiveLab.leftoverNamespaces().contains(namespace));
            assertEquals(List.of(), LabStateFile.list(stateDirectory));
        }
        finally
        {
            if (LiveLab.leftoverNamespaces().contains(namespace))
            {
                IpCommand.ip("netns", "delete", namespace);
            }
        }
    }

    private static <T> T assertDoesNotFail(final java.util.concurrent.Callable<T> call)
    {
        try
        {
            return call.call();
        }
        catch (final Exception failed)
        {
            throw new AssertionError(failed);
        }
    }
}
