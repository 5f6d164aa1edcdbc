package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import dev.podswitch.control.live.IpCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installed plugin and a real agent against CNI input that must not reach the network: the
 * agent's own namespace as CNI_NETNS (a TAP there would give the host the pod's address and
 * default route), a FIFO as CNI_NETNS (its open would block the agent, and every later pod, for
 * good), an interface name that would break the {@code ip -batch} file. Each is refused with
 * code 4, nothing is left on the host, and the next ADD is served.
 */
@Tag("root")
class CniHostileInputRootTest
{
    /** An interface name no host has: if the agent ever built a TAP in its own namespace, it would be this. */
    private static final String HOST_IFNAME = "pswhost0";
    private CniLab lab;
    private Path fifo;

    @BeforeEach
    void startAgent() throws Exception
    {
        lab = CniLab.start(CniRootPrerequisites.require());
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        if (fifo != null)
        {
            // Read-write opens of a FIFO never block: this frees an agent that opened it, were one to.
            new RandomAccessFile(fifo.toFile(), "rw").close();
        }
        if (IpCommand.ipInNamespacePath("/proc/self/ns/net", "link", "show", "dev", HOST_IFNAME).succeeded())
        {
            IpCommand.ip("link", "del", "dev", HOST_IFNAME);
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    private Map<String, String> addEnv(final String netns, final String ifName)
    {
        final Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", "ADD");
        env.put("CNI_CONTAINERID", "hostile-1");
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", ifName);
        env.put("CNI_ARGS", "");
        env.put("CNI_PATH", lab.bin.toString());
        return env;
    }

    private PluginProcess.Result add(final String netns, final String ifName) throws Exception
    {
        return lab.plugin(addEnv(netns, ifName), "{\"cniVersion\":\"1.0.0\",\"name\":\"" + lab.network1
            + "\",\"type\":\"podswitch\"}");
    }

    private void assertRefusedWithCode4(final PluginProcess.Result result)
    {
        assertEquals(1, result.exitStatus(), result.toString());
        assertEquals(CniVersions.INVALID_ENVIRONMENT, result.json().path("code").asInt(), result.toString());
        assertTrue(lab.agent().attachments().all().isEmpty(), "nothing recorded");
        assertTrue(lab.agent().cluster().dataplane().ipam().allocations().stream()
            .noneMatch(lease -> lease.containerId().equals("hostile-1")), "nothing leased");
    }

    @Test
    void shouldRefuseTheAgentsOwnNamespaceAndBuildNothingOnTheHost() throws Exception
    {
        for (final String own : new String[] {"/proc/self/ns/net", "/proc/" + ProcessHandle.current().pid() + "/ns/net"})
        {
            assertRefusedWithCode4(add(own, HOST_IFNAME));
            assertFalse(IpCommand.ipInNamespacePath("/proc/self/ns/net", "link", "show", "dev", HOST_IFNAME).succeeded(),
                "no " + HOST_IFNAME + " on the host");
        }
    }

    @Test
    void shouldAnswerAFifoAtOnceAndServeTheNextAdd() throws Exception
    {
        fifo = lab.work.resolve("netns-fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());

        assertRefusedWithCode4(add(fifo.toString(), "eth0"));

        lab.add(lab.network1, lab.namespace(), null);
    }

    @Test
    void shouldRefuseAnInterfaceNameThatWouldBreakTheIpBatchFile() throws Exception
    {
        final String pod = lab.namespace();

        assertRefusedWithCode4(add(CniLab.netns(pod), "eth0#x"));

        assertFalse(IpCommand.ip("-n", pod, "-o", "link").contains("eth0"), "nothing made in the pod");
    }
}
