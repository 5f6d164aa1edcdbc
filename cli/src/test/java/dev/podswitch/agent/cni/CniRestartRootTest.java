package dev.podswitch.agent.cni;

import dev.podswitch.agent.cni.CniAttachment;
import dev.podswitch.agent.cni.PluginProcess;

import dev.podswitch.control.live.IpCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent is a daemon that gets restarted (upgrades, crashes); its pods must not notice more than
 * a pause. Stopped, the pod keeps its interface, address and route (the TAP is persistent) and the
 * plugin says "try again later"; a new agent on the same state directory re-attaches it with the
 * same IP, traffic flows again and DEL works. A pod whose namespace went while the agent was down
 * is dropped and its IP released, and its DEL still succeeds.
 */
@Tag("root")
class CniRestartRootTest
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

    @Test
    void shouldKeepThePodThroughAnAgentRestartAndReattachIt() throws Exception
    {
        final String pod = lab.namespace();
        final String ip = CniLab.ipOf(lab.add(lab.network1, pod, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=survivor"));
        assertEquals(ip, NamespaceTcp.connect(pod, lab.scenarioPodIp("web"), CniLab.SERVED_PORT));

        lab.stopAgent();

        assertTrue(IpCommand.ip("-n", pod, "-o", "addr", "show", "dev", "eth0").contains("inet " + ip + "/"),
            "the pod keeps its interface and address while no agent runs");
        assertTrue(IpCommand.ip("-n", pod, "route", "show", "default").contains("via"), "and its route");
        final PluginProcess.Result meanwhile = lab.cnitool("add", lab.network1, lab.namespace(), Map.of());
        assertEquals(1, meanwhile.exitStatus(), meanwhile.toString());
        assertTrue(meanwhile.stderr().contains("podswitch agent not reachable"), "code 11, try again later: " + meanwhile);

        lab.startAgent();

        assertTrue(lab.log().contains("re-attached default/survivor (" + ip + ", eth0 in " + CniLab.netns(pod) + ")"),
            lab.log());
        assertEquals(List.of(ip), lab.agent().attachments().all().stream().map(CniAttachment::ip).toList());
        // The scenario pods were made anew (new namespaces, maybe new IPs): ask again.
        final String web = lab.scenarioPodIp("web");
        assertTrue(NamespaceTcp.ping(pod, web), "ping after the restart");
        assertEquals(ip, NamespaceTcp.connect(pod, web, CniLab.SERVED_PORT), "TCP after the restart, same source IP");
        final PluginProcess.Result check = lab.cnitool("check", lab.network1, pod, Map.of());
        assertEquals(0, check.exitStatus(), check.toString());

        final PluginProcess.Result del = lab.cnitool("del", lab.network1, pod, Map.of());

        assertEquals(0, del.exitStatus(), del.toString());
        assertFalse(IpCommand.ip("-n", pod, "-o", "link").contains("eth0"), "DEL removed the re-attached interface");
        assertTrue(lab.agent().attachments().all().isEmpty());
    }

    @Test
    void shouldDropAPodWhoseNamespaceWentWhileTheAgentWasDown() throws Exception
    {
        final String gone = lab.namespace();
        final String ip = CniLab.ipOf(lab.add(lab.network1, gone, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=gone"));
        lab.stopAgent();
        lab.deleteNamespace(gone);

        lab.startAgent();

        assertTrue(lab.log().contains("dropped default/gone") && lab.log().contains("released " + ip), lab.log());
        assertTrue(lab.agent().attachments().all().isEmpty());
        // The runtime's DEL for it arrives all the same — with a CNI_NETNS that no longer exists.
        final PluginProcess.Result del = lab.cnitool("del", lab.network1, gone, Map.of());
        assertEquals(0, del.exitStatus(), del.toString());
    }
}
