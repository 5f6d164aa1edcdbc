package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.store.FileIpamStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent killed between two things it keeps — after an ADD's intent, its lease, its TAP, its
 * record; after a DEL's TAP removal, its lease release, its record removal — as {@code kill -9}
 * would (the JVM halts at a {@link CrashPoint}: no finally, no shutdown hook), then a new agent
 * on the same state directory, and the runtime's replay: ADD again (the same container: it
 * succeeds, or for an ADD that did finish answers "already attached" as the spec says), DEL, ADD,
 * DEL. At every stage the leases equal the recorded attachments, nothing is left unfinished, the
 * pod has an interface exactly when an attachment is recorded, with that attachment's IP, and no
 * IP is held twice.
 */
@Tag("root")
class CniCrashRootTest
{
    private static final String NETWORK = "pswcrash";
    private static final String IFNAME = "eth0";
    private Path work;
    private Path state;
    private Path socket;
    private Path bin;
    private Path conf;
    private String pod;
    private AgentProcess agent;

    @BeforeEach
    void install() throws Exception
    {
        CniRootPrerequisites.require();
        work = Files.createTempDirectory("psw-crash-");
        state = work.resolve("state");
        socket = work.resolve("run/cni.sock");
        bin = work.resolve("bin");
        conf = work.resolve("net.d");
        CniInstaller.install(bin, conf, socket, NETWORK, "node-1", Path.of(System.getProperty("java.home")));
        pod = "psw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        IpCommand.ip("netns", "add", pod);
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        if (agent != null)
        {
            agent.close();
        }
        if (pod != null)
        {
            IpCommand.ip("netns", "delete", pod);
        }
        if (work != null)
        {
            try (Stream<Path> paths = Files.walk(work))
            {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private PluginProcess.Result plugin(final String command) throws Exception
    {
        final Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "crash-" + pod);
        env.put("CNI_NETNS", CniLab.netns(pod));
        env.put("CNI_IFNAME", IFNAME);
        env.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod);
        env.put("CNI_PATH", bin.toString());
        return PluginProcess.run(bin.resolve(CniInstaller.PLUGIN), env,
            "{\"cniVersion\":\"1.0.0\",\"name\":\"" + NETWORK + "\",\"type\":\"podswitch\"}");
    }

    private void expect(final String command, final int status) throws Exception
    {
        final PluginProcess.Result result = plugin(command);
        assertEquals(status, result.exitStatus(), () -> result + "\nagent log:\n" + log());
        if (status != 0)
        {
            assertEquals(CniVersions.ALREADY_ATTACHED, result.json().path("code").asInt(), result.toString());
        }
        assertConsistent(command + " replayed");
    }

    private String log()
    {
        try
        {
            return agent == null ? "" : agent.log();
        }
        catch (final Exception unreadable)
        {
            return unreadable.toString();
        }
    }

    /** Leases equal recorded attachments, nothing unfinished, an interface in the pod exactly for a record, with its IP. */
    private void assertConsistent(final String when)
    {
        final Map<String, String> leased = new TreeMap<>();
        for (final PodIpLease lease : new FileIpamStore(state.resolve("ipam")).read().leaseByIp().values())
        {
            leased.put(lease.node() + "/" + lease.containerId() + "/" + lease.ifName(), Ipv4.format(lease.ip()));
        }
        final AttachmentStore records = new AttachmentStore(state);
        assertEquals(List.of(), List.copyOf(records.unfinished()), when + ": nothing unfinished");
        final Map<String, String> attached = new TreeMap<>();
        for (final CniAttachment attachment : records.all())
        {
            attached.put(attachment.node() + "/" + attachment.containerId() + "/" + attachment.ifName(), attachment.ip());
        }
        assertEquals(attached, leased, when + ": leases equal attachments");
        assertEquals(leased.size(), Set.copyOf(leased.values()).size(), when + ": no IP held twice");
        final String links = IpCommand.ip("-n", pod, "-o", "addr", "show");
        final CniAttachment mine = records.get("crash-" + pod, IFNAME);
        if (mine == null)
        {
            assertFalse(IpCommand.ip("-n", pod, "-o", "link").contains(IFNAME), when + ": no stray interface: " + links);
        }
        else
        {
            assertTrue(links.contains(" " + IFNAME + " ") && links.contains("inet " + mine.ip() + "/"),
                when + ": the interface has the recorded IP: " + links);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CrashPoint.class)
    void shouldLeaveLeasesEqualToAttachmentsWhenTheAgentDiesAt(final CrashPoint point) throws Exception
    {
        final boolean inDel = point.name().startsWith("DEL");
        agent = AgentProcess.start(work, state, socket, conf, point);
        if (inDel)
        {
            expect("ADD", 0);
        }

        final PluginProcess.Result dying = plugin(inDel ? "DEL" : "ADD");

        assertEquals(CrashPoint.HALT_STATUS, agent.awaitExit(), log());
        assertEquals(1, dying.exitStatus(), dying.toString());
        assertEquals(CniVersions.IO_FAILURE, dying.json().path("code").asInt(), "the connection broke: " + dying);
        agent = AgentProcess.start(work, state, socket, conf, null);
        assertConsistent("after the restart");

        if (inDel)
        {
            expect("DEL", 0);
        }
        else
        {
            expect("ADD", point == CrashPoint.ADD_AFTER_RECORD ? 1 : 0);
        }
        expect("DEL", 0);
        expect("ADD", 0);
        expect("DEL", 0);
        assertFalse(IpCommand.ip("-n", pod, "-o", "link").contains(IFNAME));
    }
}
