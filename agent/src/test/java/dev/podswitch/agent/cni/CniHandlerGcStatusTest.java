package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_100;
import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_110;
import static dev.podswitch.agent.cni.HandlerFixture.error;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CNI 1.1.0's GC and STATUS: only for a config that says 1.1.0 (code 1 for 1.0.0, as libcni's
 * skel answers); GC removes the attachments of the network it names that the runtime no longer
 * lists — under the key the spec settled on or the one it first used — and nothing of other
 * networks; STATUS says whether ADD can be served.
 */
class CniHandlerGcStatusTest
{
    /** GC's environment: the spec requires only CNI_COMMAND and CNI_PATH. */
    private static final Map<String, String> GC = Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/opt/cni/bin");
    private static final Map<String, String> STATUS = Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/opt/cni/bin");

    private HandlerFixture fixture;

    @BeforeEach
    void setUp(@TempDir final Path directory)
    {
        fixture = new HandlerFixture(directory);
    }

    private static String gcConfig(final String network, final String key, final String... containerIds)
    {
        final StringBuilder valid = new StringBuilder();
        for (final String id : containerIds)
        {
            valid.append(valid.isEmpty() ? "" : ",").append("{\"containerID\":\"").append(id)
                .append("\",\"ifname\":\"eth0\"}");
        }
        return "{\"cniVersion\":\"1.1.0\",\"name\":\"" + network + "\",\"type\":\"podswitch\",\"" + key + "\":["
            + valid + "]}";
    }

    private void addOn(final String network, final String containerId)
    {
        final CniHandler.Outcome outcome = fixture.run("ADD", containerId,
            "{\"cniVersion\":\"1.0.0\",\"name\":\"" + network + "\",\"type\":\"podswitch\"}");
        assertEquals(0, outcome.exitStatus(), outcome.stdout());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cni.dev/valid-attachments", "cni.dev/attachments"})
    void shouldRemoveOnlyTheStaleAttachmentsOfTheNetworkNamed(final String key)
    {
        addOn("podnet", "kept");
        addOn("podnet", "stale");
        addOn("othernet", "elsewhere");

        final CniHandler.Outcome outcome = fixture.run(GC, gcConfig("podnet", key, "kept"));

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertEquals("", outcome.stdout(), "GC prints nothing on success");
        assertNotNull(fixture.store.get("kept", "eth0"), "listed: kept");
        assertNull(fixture.store.get("stale", "eth0"), "not listed: removed");
        assertNotNull(fixture.store.get("elsewhere", "eth0"), "another network's attachment is not this GC's business");
        assertEquals(List.of("stale/eth0"), fixture.network.detached);
        assertEquals(2, fixture.network.leases.size(), "the stale one's IP is released, the others kept");
    }

    @Test
    void shouldRemoveEveryAttachmentOfTheNetworkWhenTheListIsEmpty()
    {
        addOn("podnet", "a");
        addOn("podnet", "b");

        assertEquals(0, fixture.run(GC, gcConfig("podnet", "cni.dev/valid-attachments")).exitStatus());

        assertTrue(fixture.store.all().isEmpty());
    }

    @Test
    void shouldRefuseAValidAttachmentsValueThatIsNotAList()
    {
        error(fixture.run(GC, "{\"cniVersion\":\"1.1.0\",\"name\":\"podnet\",\"cni.dev/valid-attachments\":{}}"),
            CniVersions.INVALID_CONFIG);
    }

    @Test
    void shouldRefuseGcForA100ConfigWithCode1()
    {
        addOn("podnet", "a");

        final JsonNode error = error(fixture.run(GC, CONFIG_100), CniVersions.INCOMPATIBLE_VERSION);

        assertTrue(error.path("msg").asText().contains("GC"), error.toString());
        assertNotNull(fixture.store.get("a", "eth0"), "nothing removed");
    }

    @Test
    void shouldRefuseStatusForA100ConfigWithCode1()
    {
        final JsonNode error = error(fixture.run(STATUS, CONFIG_100), CniVersions.INCOMPATIBLE_VERSION);

        assertTrue(error.path("msg").asText().contains("STATUS"), error.toString());
    }

    @Test
    void shouldSucceedOnStatusWhenTheAgentCanAttach()
    {
        final CniHandler.Outcome outcome = fixture.run(STATUS, CONFIG_110);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertEquals("", outcome.stdout());
    }

    @Test
    void shouldAnswerStatusWithCode50AndWhyWhenTheAgentCannotAttach()
    {
        fixture.network.unavailable = "the agent's switch is not running";

        final JsonNode error = error(fixture.run(STATUS, CONFIG_110), CniVersions.NOT_AVAILABLE);

        assertEquals("1.1.0", error.path("cniVersion").asText());
        assertEquals("the agent's switch is not running", error.path("details").asText());
    }
}
