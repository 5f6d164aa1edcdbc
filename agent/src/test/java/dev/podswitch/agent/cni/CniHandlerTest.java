package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_100;
import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_110;
import static dev.podswitch.agent.cni.HandlerFixture.error;
import static dev.podswitch.agent.cni.HandlerFixture.json;
import static dev.podswitch.agent.cni.HandlerFixture.withPrevResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CNI commands on the agent's side (ADD, DEL, CHECK, VERSION) against a fake pod network:
 * what the spec asks of each, as the runtime sees it on stdout and in the exit status. Input
 * validation is {@link CniHandlerInputTest}; GC and STATUS are {@link CniHandlerGcStatusTest}.
 */
class CniHandlerTest
{
    private HandlerFixture fixture;

    @BeforeEach
    void setUp(@TempDir final Path directory)
    {
        fixture = new HandlerFixture(directory);
    }

    @Test
    void shouldReturnTheInterfaceInItsSandboxTheAddressWithGatewayAndTheDefaultRouteOnAdd()
    {
        final JsonNode result = fixture.add("pod1");

        assertEquals("1.0.0", result.path("cniVersion").asText());
        final JsonNode eth0 = result.path("interfaces").get(0);
        assertEquals("eth0", eth0.path("name").asText());
        assertEquals(fixture.netns.toString(), eth0.path("sandbox").asText(), "the in-container interface names CNI_NETNS");
        assertTrue(eth0.path("mac").asText().startsWith("0a:58:"), result.toString());
        final JsonNode ip = result.path("ips").get(0);
        assertEquals("10.244.0.2/24", ip.path("address").asText());
        assertEquals("10.244.0.1", ip.path("gateway").asText());
        assertEquals(0, ip.path("interface").asInt(), "ips[].interface indexes interfaces[]");
        assertEquals("0.0.0.0/0", result.path("routes").get(0).path("dst").asText());
        assertEquals("10.244.0.1", result.path("routes").get(0).path("gw").asText());
        assertNotNull(fixture.store.get("pod1", "eth0"), "the attachment is recorded");
    }

    @Test
    void shouldAnswerInTheConfigsCniVersion()
    {
        final CniHandler.Outcome outcome = fixture.run("ADD", "pod1", CONFIG_110);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertEquals("1.1.0", json(outcome).path("cniVersion").asText());
        // An error too is in the caller's version.
        assertEquals("1.1.0", error(fixture.run("ADD", "pod1", CONFIG_110), CniVersions.ALREADY_ATTACHED)
            .path("cniVersion").asText());
        assertEquals("1.0.0", error(fixture.run("ADD", "pod1", CONFIG_100), CniVersions.ALREADY_ATTACHED)
            .path("cniVersion").asText());
    }

    @Test
    void shouldRefuseASecondAddOfTheSameContainerAndInterfaceWithCode100()
    {
        fixture.add("pod1");

        final JsonNode error = error(fixture.run("ADD", "pod1", CONFIG_100), CniVersions.ALREADY_ATTACHED);

        assertTrue(error.path("details").asText().contains("pod1"), error.toString());
        assertEquals(1, fixture.network.attached.size(), "the second ADD attached nothing");
        assertEquals(1, fixture.network.leases.size(), "nor leased a second IP");
    }

    @Test
    void shouldAttachTheSameContainerAgainUnderAnotherInterfaceName()
    {
        fixture.add("pod1");
        final Map<String, String> env = fixture.env("ADD", "pod1");
        env.put("CNI_IFNAME", "net1");

        final CniHandler.Outcome outcome = fixture.run(env, CONFIG_100);

        assertEquals(0, outcome.exitStatus(), "the key is (container id, ifname): " + outcome.stdout());
        assertEquals(2, fixture.store.all().size());
    }

    @Test
    void shouldKeepTheEarlierPluginsInterfacesAndAddressesAndIndexItsOwnWhenChained()
    {
        // What a first plugin (say, a bridge) returned: a host-side and a container-side interface.
        final String previous = """
            {"cniVersion":"1.0.0",
             "interfaces":[{"name":"veth1"},{"name":"net0","sandbox":"/run/netns/x"}],
             "ips":[{"address":"192.168.9.5/24","gateway":"192.168.9.1","interface":1}],
             "routes":[{"dst":"192.168.0.0/16"}],
             "dns":{"nameservers":["192.168.9.53"]}}""";
        final String config = CONFIG_100.substring(0, CONFIG_100.length() - 1) + ",\"prevResult\":" + previous + "}";

        final CniHandler.Outcome outcome = fixture.run("ADD", "pod1", config);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        final JsonNode result = json(outcome);
        assertEquals(List.of("veth1", "net0", "eth0"), result.path("interfaces").findValuesAsText("name"));
        assertEquals("192.168.9.5/24", result.path("ips").get(0).path("address").asText(), "the earlier address is kept");
        assertEquals(1, result.path("ips").get(0).path("interface").asInt(), "its index is untouched");
        assertEquals("10.244.0.2/24", result.path("ips").get(1).path("address").asText());
        assertEquals(2, result.path("ips").get(1).path("interface").asInt(), "ours points at our interface");
        assertEquals(List.of("192.168.0.0/16", "0.0.0.0/0"), result.path("routes").findValuesAsText("dst"));
        assertEquals("192.168.9.53", result.path("dns").path("nameservers").get(0).asText(),
            "the earlier plugin's DNS is passed on");
    }

    @Test
    void shouldPassTheConfigsDnsOnWhenNothingEarlierSetIt()
    {
        final String config = CONFIG_100.substring(0, CONFIG_100.length() - 1)
            + ",\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"search\":[\"svc.cluster.local\"]}}";

        final JsonNode result = json(fixture.run("ADD", "pod1", config));

        assertEquals("10.96.0.10", result.path("dns").path("nameservers").get(0).asText(), result.toString());
    }

    @Test
    void shouldDeleteAndReleaseTheLeaseOnDel()
    {
        fixture.add("pod1");

        final CniHandler.Outcome outcome = fixture.run("DEL", "pod1", CONFIG_100);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertEquals("", outcome.stdout(), "DEL prints nothing on success");
        assertEquals(List.of("pod1/eth0"), fixture.network.detached);
        assertTrue(fixture.network.leases.isEmpty());
        assertNull(fixture.store.get("pod1", "eth0"));
    }

    @Test
    void shouldSucceedOnEveryRepeatedDel()
    {
        final JsonNode result = fixture.add("pod1");
        // libcni's first DEL carries the cached ADD result; after it the cache is gone, so the next has none.
        assertEquals(0, fixture.run("DEL", "pod1", withPrevResult(CONFIG_100, result)).exitStatus());

        assertEquals(0, fixture.run("DEL", "pod1", CONFIG_100).exitStatus());
        assertEquals(0, fixture.run("DEL", "pod1", CONFIG_100).exitStatus());
        assertEquals(1, fixture.network.detached.size(), "detached once");
    }

    @Test
    void shouldSucceedOnDelOfAContainerNeverAdded()
    {
        assertEquals(0, fixture.run("DEL", "never-added", CONFIG_100).exitStatus());
    }

    @Test
    void shouldDeleteWithoutCniNetnsSinceDelMayNotHaveIt()
    {
        fixture.add("pod1");
        final Map<String, String> env = fixture.env("DEL", "pod1");
        env.remove("CNI_NETNS");

        final CniHandler.Outcome outcome = fixture.run(env, CONFIG_100);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertTrue(fixture.network.leases.isEmpty(), "the IP is released");
    }

    @Test
    void shouldReleaseTheLeaseOfAFailedAddOnDel()
    {
        fixture.network.failNextAttachAfterLeasing = true;
        error(fixture.run("ADD", "pod1", CONFIG_100), CniVersions.ATTACH_FAILED);
        assertEquals(1, fixture.network.leases.size(), "the half-done ADD left its lease");
        assertNull(fixture.store.get("pod1", "eth0"), "and no attachment");

        // The spec: the runtime runs DEL even after a failed ADD; it must succeed and free what it can.
        final CniHandler.Outcome outcome = fixture.run("DEL", "pod1", CONFIG_100);

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertTrue(fixture.network.leases.isEmpty(), "the lease is released: " + fixture.network.leases);
    }

    @Test
    void shouldPassCheckWhenPrevResultListsTheAddressAndNothingIsWrong()
    {
        final JsonNode result = fixture.add("pod1");

        final CniHandler.Outcome outcome = fixture.run("CHECK", "pod1", withPrevResult(CONFIG_100, result));

        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        assertEquals("", outcome.stdout());
    }

    @Test
    void shouldFailCheckWithoutPrevResult()
    {
        fixture.add("pod1");

        final JsonNode error = error(fixture.run("CHECK", "pod1", CONFIG_100), CniVersions.INVALID_CONFIG);

        assertTrue(error.path("msg").asText().contains("prevResult"), error.toString());
    }

    @Test
    void shouldFailCheckWhenTheNetworkReportsAProblem()
    {
        final JsonNode result = fixture.add("pod1");
        fixture.network.problems = List.of("eth0 does not exist in " + fixture.netns);

        final JsonNode error = error(fixture.run("CHECK", "pod1", withPrevResult(CONFIG_100, result)),
            CniVersions.CHECK_FAILED);

        assertTrue(error.path("details").asText().contains("eth0 does not exist"), error.toString());
    }

    @Test
    void shouldFailCheckWhenPrevResultDoesNotListOurAddress()
    {
        fixture.add("pod1");
        final JsonNode other = HandlerFixture.JSON.createObjectNode().set("ips",
            HandlerFixture.JSON.createArrayNode().add(HandlerFixture.JSON.createObjectNode().put("address", "10.9.9.9/24")));

        final JsonNode error = error(fixture.run("CHECK", "pod1", withPrevResult(CONFIG_100, other)),
            CniVersions.CHECK_FAILED);

        assertTrue(error.path("details").asText().contains("10.244.0.2/24"), error.toString());
    }

    @Test
    void shouldFailCheckOfAnAttachmentItNeverMade()
    {
        final JsonNode result = fixture.add("pod1");

        error(fixture.run("CHECK", "pod2", withPrevResult(CONFIG_100, result)), CniVersions.CHECK_FAILED);
    }

    @Test
    void shouldAnswerVersionInTheVersionAskedWithTheSupportedListAndNoOtherVariables()
    {
        final CniHandler.Outcome outcome = fixture.run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}");

        assertEquals(0, outcome.exitStatus());
        final JsonNode version = json(outcome);
        assertEquals("1.0.0", version.path("cniVersion").asText());
        assertEquals(CniVersions.SUPPORTED, HandlerFixture.texts(version.path("supportedVersions")));
    }
}
