package dev.podswitch.agent.cni;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.NetworkNamespaces;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With real namespaces (root; under CI=true these must run): a namespace {@code ip netns add} made
 * passes the CNI_NETNS check, and entering a namespace is bounded — a call past its deadline is
 * abandoned with a CNI error, and what it makes if it finishes later is discarded, not leaked.
 */
@Tag("root")
class NetworkNamespaceRootTest
{
    private static final Duration HANG = Duration.ofMinutes(2);
    private String namespace;

    @BeforeEach
    void requireRoot()
    {
        final boolean root = "root".equals(System.getProperty("user.name")) && IpCommand.ipPath() != null;
        if (!root && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the namespace tests must run, but this is not root with iproute2");
        }
        assumeTrue(root, "root test skipped: needs root and iproute2");
        namespace = "psw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        IpCommand.ip("netns", "add", namespace);
    }

    @AfterEach
    void removeNamespace()
    {
        if (namespace != null)
        {
            IpCommand.ip("netns", "delete", namespace);
        }
    }

    @Test
    void shouldAcceptANamespaceTheRuntimeMade()
    {
        assertDoesNotThrow(() -> NetworkNamespaceFile.require(NetworkNamespaces.NETNS_DIR + namespace));
    }

    @Test
    void shouldAbandonAnEntryThatBlocksAndAnswerACniError(@TempDir final Path directory) throws Exception
    {
        final Path fifo = directory.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        try
        {
            final CniError error = assertTimeoutPreemptively(HANG, () -> assertThrows(CniError.class,
                () -> BoundedNamespaceCall.call(fifo.toString(), 100, () -> "entered", late -> { })));

            assertTrue(error.details().contains("did not finish within 100 ms"), error.details());
        }
        finally
        {
            // A FIFO opened read-write never blocks: it lets the abandoned open (and its thread) finish.
            new RandomAccessFile(fifo.toFile(), "rw").close();
        }
    }

    @Test
    void shouldDiscardWhatALateCallMakesRatherThanLeakIt() throws Exception
    {
        final CountDownLatch release = new CountDownLatch(1);
        final CompletableFuture<String> discarded = new CompletableFuture<>();

        assertThrows(CniError.class, () -> BoundedNamespaceCall.call(NetworkNamespaces.NETNS_DIR + namespace, 100,
            () ->
            {
                release.await();
                return "a device";
            }, discarded::complete));
        release.countDown();

        assertEquals("a device", discarded.get(1, TimeUnit.MINUTES));
    }

    @Test
    void shouldHandTheResultToTheCallerWithinTheDeadline() throws Exception
    {
        final String result = BoundedNamespaceCall.call(NetworkNamespaces.NETNS_DIR + namespace, 60_000,
            () -> "in " + namespace, late -> fail("delivered to the caller, never discarded"));

        assertEquals("in " + namespace, result);
    }
}
