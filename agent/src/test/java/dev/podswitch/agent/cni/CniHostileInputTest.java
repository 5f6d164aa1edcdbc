package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_100;
import static dev.podswitch.agent.cni.HandlerFixture.error;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a runtime (or whoever can write to the plugin's socket) might pass that must never reach
 * the network: an interface name that would break or extend the {@code ip -batch} file the pod is
 * configured with, and a CNI_NETNS that is no pod's network namespace — the agent's own (a pod
 * built there would put its address and default route on the host), another kind of namespace,
 * a plain file, a FIFO (whose open would block the agent). These go through the real namespace
 * check, which only stats the path until it knows it is a namespace file.
 */
class CniHostileInputTest
{
    private HandlerFixture fixture;
    private CniHandler handler;
    private Path directory;

    @BeforeEach
    void setUp(@TempDir final Path directory)
    {
        this.directory = directory;
        fixture = new HandlerFixture(directory);
        handler = new CniHandler(fixture.network, fixture.store);
    }

    private JsonNode addIn(final String netns, final int code)
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_NETNS", netns);
        final JsonNode error = error(handler.handle(env, CONFIG_100.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            code);
        assertTrue(fixture.network.attached.isEmpty(), "nothing attached");
        assertTrue(fixture.network.leases.isEmpty(), "nothing leased");
        assertTrue(fixture.store.all().isEmpty(), "nothing recorded");
        return error;
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"eth#0", "eth\"0", "eth'0", "eth0\\", "eth0;x", "eth0\u00e9", "eth\t0", "eth0\nlink"})
    void shouldRefuseAnInterfaceNameAnIpBatchLineWouldNotKeepWhole(final String ifName)
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_IFNAME", ifName);

        final JsonNode error = error(fixture.run(env, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_IFNAME"), error.toString());
        assertTrue(fixture.network.attached.isEmpty());
    }

    @Test
    void shouldAcceptEveryCharacterAnInterfaceNameMayHave()
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_IFNAME", "Net_1.a-B9");

        assertEquals(0, fixture.run(env, CONFIG_100).exitStatus());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/proc/self/ns/net", "/proc/thread-self/ns/net"})
    void shouldRefuseTheAgentsOwnNamespaceWithCode4(final String netns)
    {
        final JsonNode error = addIn(netns, CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("details").asText().contains("own or the host's network namespace"), error.toString());
    }

    @Test
    void shouldRefuseInitsNamespaceWithCode4()
    {
        // The host's, or (in a container where even root may not stat init's) one the agent cannot examine.
        addIn("/proc/1/ns/net", CniVersions.INVALID_ENVIRONMENT);
    }

    @Test
    void shouldRefuseTheAgentsNamespaceByItsProcessIdToo()
    {
        addIn("/proc/" + ProcessHandle.current().pid() + "/ns/net", CniVersions.INVALID_ENVIRONMENT);
    }

    @Test
    void shouldRefuseANamespaceOfAnotherKindWithCode4()
    {
        final JsonNode error = addIn("/proc/self/ns/mnt", CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("details").asText().contains("not a network namespace"), error.toString());
    }

    @Test
    void shouldRefuseAPlainFileOrADirectoryWithCode4()
    {
        for (final Path notANamespace : new Path[] {fixture.netns, directory})
        {
            final JsonNode error = addIn(notANamespace.toString(), CniVersions.INVALID_ENVIRONMENT);
            assertTrue(error.path("details").asText().contains("not a namespace file"), error.toString());
        }
    }

    @Test
    void shouldRefuseAFifoWithoutOpeningIt() throws Exception
    {
        final Path fifo = directory.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());

        // Opening it would block until a writer came: the answer coming back at all shows it was not opened.
        addIn(fifo.toString(), CniVersions.INVALID_ENVIRONMENT);
    }

    @Test
    void shouldRefuseAPathThatDoesNotExistWithCode3AndARelativeOneWithCode4() throws IOException
    {
        addIn(directory.resolve("gone").toString(), CniVersions.UNKNOWN_CONTAINER);
        addIn("var/run/netns/x", CniVersions.INVALID_ENVIRONMENT);
        assertTrue(Files.exists(fixture.netns));
    }
}
