package dev.podswitch.agent.cni;

import dev.podswitch.agent.cni.HandlerFixture;
import dev.podswitch.agent.cni.PluginProcess;
import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.podswitch.control.live.IpCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installed plugin exec'd directly, as a runtime execs it, for what cnitool cannot send: broken
 * input (error JSON on stdout, exit 1, the spec's codes) and CNI 1.1.0's GC and STATUS (Debian's
 * cnitool speaks 1.0.0 and silently does nothing for {@code gc}/{@code status}).
 */
@Tag("root")
class CniPluginDirectRootTest
{
    private CniLab lab;

    @BeforeEach
    void startAgent() throws Exception
    {
        lab = CniLab.start(CniRootPrerequisites.require());
    }

    @AfterEach
    void cleanUp()
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    private Map<String, String> addEnv(final String namespace)
    {
        final Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", "ADD");
        env.put("CNI_CONTAINERID", "direct-" + namespace);
        env.put("CNI_NETNS", CniLab.netns(namespace));
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "");
        env.put("CNI_PATH", lab.bin.toString());
        return env;
    }

    private String config(final String version, final String network)
    {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"" + network + "\",\"type\":\"podswitch\"}";
    }

    private static JsonNode failure(final PluginProcess.Result result, final int code)
    {
        assertEquals(1, result.exitStatus(), result.toString());
        final JsonNode error = result.json();
        assertEquals(code, error.path("code").asInt(), result.toString());
        return error;
    }

    @Test
    void shouldAnswerStdinThatIsNotJsonWithCode6() throws Exception
    {
        final PluginProcess.Result result = lab.plugin(addEnv(lab.namespace()), "{\"cniVersion\": \"1.0.0\", \"name\": ");

        failure(result, CniVersions.DECODING_FAILURE);
        assertTrue(lab.agent().attachments().all().isEmpty());
    }

    @Test
    void shouldAnswerAMissingContainerIdWithCode4NamingIt() throws Exception
    {
        final Map<String, String> env = addEnv(lab.namespace());
        env.remove("CNI_CONTAINERID");

        final JsonNode error = failure(lab.plugin(env, config("1.0.0", lab.network1)), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_CONTAINERID"), error.toString());
        assertEquals("1.0.0", error.path("cniVersion").asText(), "in the config's version");
    }

    @Test
    void shouldAnswerAnUnsupportedVersionWithCode1AndTheSupportedList() throws Exception
    {
        final JsonNode error = failure(lab.plugin(addEnv(lab.namespace()), config("0.4.0", lab.network1)),
            CniVersions.INCOMPATIBLE_VERSION);

        assertTrue(error.path("details").asText().contains("\"0.4.0\""), error.toString());
        assertTrue(error.path("details").asText().contains("1.0.0") && error.path("details").asText().contains("1.1.0"),
            error.toString());
    }

    @Test
    void shouldSetTheMtuTheConfigAsksFor() throws Exception
    {
        final String namespace = lab.namespace();
        final PluginProcess.Result result = lab.plugin(addEnv(namespace),
            "{\"cniVersion\":\"1.0.0\",\"name\":\"" + lab.network1 + "\",\"type\":\"podswitch\",\"mtu\":1450}");

        assertEquals(0, result.exitStatus(), result.toString());
        assertTrue(IpCommand.ip("-n", namespace, "link", "show", "dev", "eth0").contains("mtu 1450"),
            "the pod's interface has the MTU of the config");
        final JsonNode error = failure(lab.plugin(addEnv(lab.namespace()),
            "{\"cniVersion\":\"1.0.0\",\"name\":\"" + lab.network1 + "\",\"type\":\"podswitch\",\"mtu\":20}"),
            CniVersions.INVALID_CONFIG);
        assertTrue(error.path("details").asText().contains("68"), error.toString());
    }

    @Test
    void shouldAnswerVersionWithTheSupportedList() throws Exception
    {
        final PluginProcess.Result result = lab.plugin(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.1.0\"}");

        assertEquals(0, result.exitStatus(), result.toString());
        assertEquals("1.1.0", result.json().path("cniVersion").asText());
        assertEquals(CniVersions.SUPPORTED, HandlerFixture.texts(result.json().path("supportedVersions")));
    }

    @Test
    void shouldRefuseGcAndStatusForA100Config() throws Exception
    {
        for (final String command : new String[] {"GC", "STATUS"})
        {
            final JsonNode error = failure(lab.plugin(Map.of("CNI_COMMAND", command, "CNI_PATH", lab.bin.toString()),
                config("1.0.0", lab.network1)), CniVersions.INCOMPATIBLE_VERSION);
            assertTrue(error.path("msg").asText().contains(command), error.toString());
        }
    }

    @Test
    void shouldReportStatusReadyWhileTheAgentRunsAndNotAvailableWhenItStops() throws Exception
    {
        final Map<String, String> env = Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", lab.bin.toString());

        final PluginProcess.Result ready = lab.plugin(env, config("1.1.0", lab.network1));
        assertEquals(0, ready.exitStatus(), ready.toString());
        assertEquals("", ready.stdout());

        lab.stopAgent();

        final JsonNode error = failure(lab.plugin(env, config("1.1.0", lab.network1)), CniVersions.NOT_AVAILABLE);
        assertEquals("1.1.0", error.path("cniVersion").asText());
    }

    @Test
    void shouldGarbageCollectOnlyTheUnlistedAttachmentsOfTheNetworkNamed() throws Exception
    {
        final String kept = lab.namespace();
        final String stale = lab.namespace();
        final String elsewhere = lab.namespace();
        lab.add(lab.network1, kept, null);
        lab.add(lab.network1, stale, null);
        lab.add(lab.network2, elsewhere, null);
        final String keptId = containerIdOf(kept);
        final String staleId = containerIdOf(stale);
        final String elsewhereId = containerIdOf(elsewhere);
        // What libcni ≥ 1.2 sends: the plugin's config in 1.1.0 plus the attachments the runtime still has.
        final String gc = "{\"cniVersion\":\"1.1.0\",\"name\":\"" + lab.network1 + "\",\"type\":\"podswitch\","
            + "\"cni.dev/valid-attachments\":[{\"containerID\":\"" + keptId + "\",\"ifname\":\"eth0\"}]}";

        final PluginProcess.Result result = lab.plugin(Map.of("CNI_COMMAND", "GC", "CNI_PATH", lab.bin.toString()), gc);

        assertEquals(0, result.exitStatus(), result.toString());
        assertEquals("", result.stdout());
        assertNotNull(lab.agent().attachments().get(keptId, "eth0"), "listed: kept");
        assertNull(lab.agent().attachments().get(staleId, "eth0"), "not listed: collected");
        assertNotNull(lab.agent().attachments().get(elsewhereId, "eth0"), "another network's: not this GC's");
        assertTrue(IpCommand.ip("-n", kept, "-o", "link").contains("eth0"));
        assertFalse(IpCommand.ip("-n", stale, "-o", "link").contains("eth0"), "the stale interface is gone");
        // GC is no substitute for DEL, and DEL after GC still succeeds.
        final PluginProcess.Result del = lab.cnitool("del", lab.network1, stale, Map.of());
        assertEquals(0, del.exitStatus(), del.toString());
    }

    private String containerIdOf(final String namespace)
    {
        return lab.agent().attachments().all().stream().filter(a -> a.netns().equals(CniLab.netns(namespace)))
            .findFirst().orElseThrow().containerId();
    }
}
