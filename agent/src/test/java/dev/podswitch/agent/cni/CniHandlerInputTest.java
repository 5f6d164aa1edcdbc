package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_100;
import static dev.podswitch.agent.cni.HandlerFixture.error;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the handler refuses before it touches the network, with the spec's codes: 4 for the
 * environment (naming the variables), 6 for stdin that is not a JSON object, 1 for a version
 * podswitch does not speak (with the list it does), 7 for a config without a usable name — and
 * what it reads from {@code CNI_ARGS}, tolerating the keys it does not know.
 */
class CniHandlerInputTest
{
    private HandlerFixture fixture;

    @BeforeEach
    void setUp(@TempDir final Path directory)
    {
        fixture = new HandlerFixture(directory);
    }

    @Test
    void shouldNameCniCommandWhenItIsMissing()
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.remove("CNI_COMMAND");

        final JsonNode error = error(fixture.run(env, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_COMMAND"), error.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ADD", "CHECK"})
    void shouldNameEveryMissingVariableWithCode4(final String command)
    {
        final Map<String, String> env = new LinkedHashMap<>(Map.of("CNI_COMMAND", command, "CNI_PATH", "/opt/cni/bin"));

        final JsonNode error = error(fixture.run(env, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        final String message = error.path("msg").asText();
        for (final String variable : List.of("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"))
        {
            assertTrue(message.contains(variable), variable + " named: " + message);
        }
        assertTrue(fixture.network.attached.isEmpty());
    }

    @Test
    void shouldNameTheVariablesDelNeedsButNotCniNetns()
    {
        final JsonNode error = error(fixture.run(Map.of("CNI_COMMAND", "DEL"), CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        final String message = error.path("msg").asText();
        assertTrue(message.contains("CNI_CONTAINERID") && message.contains("CNI_IFNAME"), message);
        assertTrue(!message.contains("CNI_NETNS"), "CNI_NETNS is optional on DEL: " + message);
    }

    @Test
    void shouldTreatAnEmptyVariableAsMissing()
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_IFNAME", "");

        final JsonNode error = error(fixture.run(env, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_IFNAME"), error.toString());
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"-starts-with-a-dash", "has space", "slash/inside", "ümlaut"})
    void shouldRefuseAnInvalidContainerIdWithCode4NamingIt(final String containerId)
    {
        final JsonNode error = error(fixture.run("ADD", containerId, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_CONTAINERID"), error.toString());
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"sixteen-chars-xx", ".", "..", "eth/0", "eth:0", "eth 0"})
    void shouldRefuseAnInvalidInterfaceNameWithCode4NamingIt(final String ifName)
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_IFNAME", ifName);

        final JsonNode error = error(fixture.run(env, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_IFNAME"), error.toString());
    }

    @Test
    void shouldRefuseAnUnknownCommandWithCode4()
    {
        final JsonNode error = error(fixture.run("FROB", "pod1", CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("FROB"), error.toString());
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"{not json", "", "[1,2]", "\"a string\""})
    void shouldRefuseStdinThatIsNotAJsonObjectWithCode6(final String stdin)
    {
        error(fixture.run("ADD", "pod1", stdin), CniVersions.DECODING_FAILURE);
        assertTrue(fixture.network.attached.isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"0.4.0", "0.3.1", "2.0.0"})
    void shouldRefuseAnUnsupportedVersionWithCode1ListingTheSupportedOnes(final String version)
    {
        final JsonNode error = error(fixture.run("ADD", "pod1",
            "{\"cniVersion\":\"" + version + "\",\"name\":\"podnet\",\"type\":\"podswitch\"}"),
            CniVersions.INCOMPATIBLE_VERSION);

        final String details = error.path("details").asText();
        assertTrue(details.contains("\"" + version + "\""), "names the config's version: " + details);
        for (final String supported : CniVersions.SUPPORTED)
        {
            assertTrue(details.contains(supported), "lists " + supported + ": " + details);
        }
    }

    @Test
    void shouldTreatAMissingVersionAs010AndRefuseIt()
    {
        final JsonNode error = error(fixture.run("ADD", "pod1", "{\"name\":\"podnet\",\"type\":\"podswitch\"}"),
            CniVersions.INCOMPATIBLE_VERSION);

        assertTrue(error.path("details").asText().contains("0.1.0"), error.toString());
    }

    @Test
    void shouldRefuseAConfigWithoutANameWithCode7()
    {
        final JsonNode error = error(fixture.run("ADD", "pod1", "{\"cniVersion\":\"1.0.0\",\"type\":\"podswitch\"}"),
            CniVersions.INVALID_CONFIG);

        assertTrue(error.path("msg").asText().contains("name"), error.toString());
    }

    @Test
    void shouldRefuseANameWithCharactersTheSpecForbidsWithCode7()
    {
        error(fixture.run("ADD", "pod1", "{\"cniVersion\":\"1.0.0\",\"name\":\"pod net\",\"type\":\"podswitch\"}"),
            CniVersions.INVALID_CONFIG);
    }

    @Test
    void shouldRefuseANetnsThatDoesNotExistWithCode3()
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_NETNS", fixture.netns + "-gone");

        error(fixture.run(env, CONFIG_100), CniVersions.UNKNOWN_CONTAINER);
    }

    @Test
    void shouldRefuseANodeTheAgentDoesNotHaveWithCode7()
    {
        final JsonNode error = error(fixture.run("ADD", "pod1",
            "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\",\"type\":\"podswitch\",\"node\":\"node-9\"}"),
            CniVersions.INVALID_CONFIG);

        assertTrue(error.path("details").asText().contains("node-9"), error.toString());
    }

    @Test
    void shouldAttachToTheNodeTheConfigNamesOrElseTheAgentsFirst()
    {
        fixture.run("ADD", "pod1", "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\",\"type\":\"podswitch\",\"node\":\"node-2\"}");
        fixture.add("pod2");

        assertEquals("node-2", fixture.network.attached.get(0).node());
        assertEquals("node-1", fixture.network.attached.get(1).node());
    }

    @Test
    void shouldTakeThePodsNamespaceNameAndLabelsFromCniArgsAndTolerateUnknownKeys()
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        // What a kubelet's runtime sends, plus keys nobody here knows.
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0;"
            + "K8S_POD_INFRA_CONTAINER_ID=pod1;K8S_POD_UID=1234-5678;SOMETHING_ELSE=x;"
            + "PODSWITCH_POD_LABELS=app:web,tier:front");

        final CniHandler.Outcome outcome = fixture.run(env, CONFIG_100);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        final PodNetwork.AttachRequest request = fixture.network.attached.getFirst();
        assertEquals("shop", request.podNamespace());
        assertEquals("web-0", request.podName());
        assertEquals(Map.of("app", "web", "tier", "front"), request.labels());
        assertEquals("shop/web-0", fixture.store.get("pod1", "eth0").podKey(), "the store keeps who the pod is");
    }

    @Test
    void shouldTolerateUnknownKeysWithoutIgnoreUnknown()
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_ARGS", "FOO=bar;K8S_POD_NAME=web-0");

        assertEquals(0, fixture.run(env, CONFIG_100).exitStatus());
        assertEquals("web-0", fixture.network.attached.getFirst().podName());
    }

    @Test
    void shouldNameAPodWithoutK8sArgsAfterItsContainerInNamespaceDefault()
    {
        fixture.add("CNITOOL-b17df1990aa962947ffa");

        final PodNetwork.AttachRequest request = fixture.network.attached.getFirst();
        assertEquals("default", request.podNamespace());
        assertEquals("cni-cnitool-b17d", request.podName(), "lower case: a pod name is a DNS label");
        assertEquals(Map.of(), request.labels());
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"K8S_POD_NAME", "=value", "PODSWITCH_POD_LABELS=app"})
    void shouldRefuseCniArgsThatAreNotKeyValuePairsWithCode4(final String args)
    {
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_ARGS", args);

        final JsonNode error = error(fixture.run(env, CONFIG_100), CniVersions.INVALID_ENVIRONMENT);

        assertTrue(error.path("msg").asText().contains("CNI_ARGS"), error.toString());
        assertTrue(fixture.network.leases.isEmpty(), "nothing leased");
    }
}
