package dev.podswitch.agent.cni;

import dev.podswitch.agent.cni.PluginProcess;

import com.fasterxml.jackson.databind.JsonNode;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attachment lifecycle driven by the CNI project's own client, cnitool (Debian's libcni
 * 1.1.2): ADD, CHECK, DEL and DEL again; a second ADD of the same pod refused; an interface name
 * already taken in the namespace refused; and ADDs racing from eight threads getting eight
 * different IPs of the node's pod CIDR.
 */
@Tag("root")
class CniLifecycleRootTest
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

    private String gateway(final String node)
    {
        return Ipv4.format(lab.agent().cluster().dataplane().nodes().get(node).gatewayIp());
    }

    @Test
    void shouldAddCheckDeleteAndDeleteAgain() throws Exception
    {
        final String namespace = lab.namespace();

        final JsonNode result = lab.add(lab.network1, namespace, null);

        final JsonNode eth0 = result.path("interfaces").get(0);
        assertEquals("eth0", eth0.path("name").asText(), result.toString());
        assertEquals(CniLab.netns(namespace), eth0.path("sandbox").asText());
        final String ip = CniLab.ipOf(result);
        assertTrue(lab.podCidr(CniLab.NODE_1).contains(Ipv4.parse(ip)), ip + " in node-1's pod CIDR " + lab.podCidr(CniLab.NODE_1));
        assertEquals(gateway(CniLab.NODE_1), result.path("ips").get(0).path("gateway").asText());
        assertEquals("0.0.0.0/0", result.path("routes").get(0).path("dst").asText());
        assertEquals(gateway(CniLab.NODE_1), result.path("routes").get(0).path("gw").asText());
        // What the pod itself sees.
        assertTrue(IpCommand.ip("-n", namespace, "-o", "addr", "show", "dev", "eth0").contains("inet " + ip + "/"));
        assertTrue(IpCommand.ip("-n", namespace, "route", "show", "default").contains("via " + gateway(CniLab.NODE_1)));
        assertEquals(1, lab.cacheEntries().size(), "cnitool cached the ADD result");

        final PluginProcess.Result check = lab.cnitool("check", lab.network1, namespace, Map.of());
        assertEquals(0, check.exitStatus(), check.toString());

        final PluginProcess.Result del = lab.cnitool("del", lab.network1, namespace, Map.of());
        assertEquals(0, del.exitStatus(), del.toString());
        assertFalse(IpCommand.ip("-n", namespace, "-o", "link").contains("eth0"), "the interface is gone");
        assertTrue(lab.agent().attachments().all().isEmpty(), "the agent forgot it");
        assertEquals(List.of(), lab.cacheEntries(), "cnitool dropped its cache");

        final PluginProcess.Result again = lab.cnitool("del", lab.network1, namespace, Map.of());
        assertEquals(0, again.exitStatus(), "a second DEL (now without prevResult) succeeds: " + again);

        // CHECK after DEL: libcni still runs it, without prevResult, and the plugin must refuse.
        final PluginProcess.Result late = lab.cnitool("check", lab.network1, namespace, Map.of());
        assertEquals(1, late.exitStatus(), late.toString());
        assertTrue(late.stderr().contains("prevResult"), late.toString());
    }

    @Test
    void shouldNameTheInterfaceAsCniIfnameSays() throws Exception
    {
        final String namespace = lab.namespace();
        final Map<String, String> net0 = Map.of("CNI_IFNAME", "net0");

        final PluginProcess.Result add = lab.cnitool("add", lab.network2, namespace, net0);

        assertEquals(0, add.exitStatus(), add.toString());
        assertEquals("net0", add.json().path("interfaces").get(0).path("name").asText());
        final String ip = CniLab.ipOf(add.json());
        assertTrue(lab.podCidr(CniLab.NODE_2).contains(Ipv4.parse(ip)), "network2 pins node-2: " + ip);
        assertTrue(IpCommand.ip("-n", namespace, "-o", "addr", "show", "dev", "net0").contains("inet " + ip + "/"));
        assertTrue(lab.cacheEntries().getFirst().endsWith("-net0"), "libcni keys its cache by ifname too");
        final PluginProcess.Result check = lab.cnitool("check", lab.network2, namespace, net0);
        assertEquals(0, check.exitStatus(), check.toString());
        final PluginProcess.Result del = lab.cnitool("del", lab.network2, namespace, net0);
        assertEquals(0, del.exitStatus(), del.toString());
        assertFalse(IpCommand.ip("-n", namespace, "-o", "link").contains("net0"));
    }

    @Test
    void shouldRefuseASecondAddOfTheSamePodAndKeepTheFirst() throws Exception
    {
        final String namespace = lab.namespace();
        final String ip = CniLab.ipOf(lab.add(lab.network1, namespace, null));

        final PluginProcess.Result second = lab.cnitool("add", lab.network1, namespace, Map.of());

        assertEquals(1, second.exitStatus(), second.toString());
        assertTrue(second.stderr().contains("already"), second.toString());
        assertEquals(1, lab.agent().attachments().all().size());
        assertEquals(ip, lab.agent().attachments().all().iterator().next().ip(), "the first attachment is untouched");
        final PluginProcess.Result check = lab.cnitool("check", lab.network1, namespace, Map.of());
        assertEquals(0, check.exitStatus(), check.toString());
    }

    @Test
    void shouldRefuseAnInterfaceNameTakenInTheNamespaceAndStillDeleteAfterThat() throws Exception
    {
        final String namespace = lab.namespace();
        // Not ours: someone else's eth0 in the sandbox.
        IpCommand.ip("-n", namespace, "tuntap", "add", "dev", "eth0", "mode", "tap");

        final PluginProcess.Result add = lab.cnitool("add", lab.network1, namespace, Map.of());

        assertEquals(1, add.exitStatus(), add.toString());
        assertTrue(add.stderr().contains("already exists"), add.toString());
        assertTrue(lab.agent().attachments().all().isEmpty());
        // The spec: DEL follows a failed ADD and must succeed — without removing what it did not make.
        final PluginProcess.Result del = lab.cnitool("del", lab.network1, namespace, Map.of());
        assertEquals(0, del.exitStatus(), del.toString());
        assertTrue(IpCommand.ip("-n", namespace, "-o", "link").contains("eth0"), "the foreign eth0 stays");
    }

    @Test
    void shouldGiveEightParallelAddsEightDifferentIpsOfTheNodesCidr() throws Exception
    {
        final List<String> namespaces = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            namespaces.add(lab.namespace());
        }
        final List<String> ips = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(namespaces.size()))
        {
            final List<Future<JsonNode>> adds = new ArrayList<>();
            for (final String namespace : namespaces)
            {
                adds.add(threads.submit(() -> lab.add(lab.network1, namespace, null)));
            }
            for (final Future<JsonNode> add : adds)
            {
                ips.add(CniLab.ipOf(add.get()));
            }
        }

        assertEquals(8, new HashSet<>(ips).size(), "distinct: " + ips);
        for (int i = 0; i < ips.size(); i++)
        {
            assertTrue(lab.podCidr(CniLab.NODE_1).contains(Ipv4.parse(ips.get(i))), ips.get(i));
            assertTrue(IpCommand.ip("-n", namespaces.get(i), "-o", "addr", "show", "dev", "eth0")
                .contains("inet " + ips.get(i) + "/"), "each namespace has the IP its result names");
        }
        assertFalse(ips.contains(lab.scenarioPodIp("web")), "none is the scenario pod's");
        assertEquals(8, lab.agent().attachments().all().size());

        for (final String namespace : namespaces)
        {
            final PluginProcess.Result del = lab.cnitool("del", lab.network1, namespace, Map.of());
            assertEquals(0, del.exitStatus(), del.toString());
        }
        assertTrue(lab.agent().attachments().all().isEmpty());
    }
}
