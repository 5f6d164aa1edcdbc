package dev.podswitch.cli;

import dev.podswitch.agent.api.ApiServer;
import dev.podswitch.agent.api.ControlApi;
import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code podswitch replay} against a daemon's real control API socket — an emulated two-node
 * cluster with live node threads, behind an {@link ApiServer} that takes bodies of at most 4 KiB,
 * so a capture goes in several batches and a batch the daemon refuses (413) is sent again in halves.
 * Captured SYNs (pcap4j-built) replayed as {@code default/web} are dropped as SPOOFED_SOURCE as they
 * are, and judged by db's policy once rewritten; no root needed.
 */
class ReplayCommandTest
{
    private static final int ALLOWED = 3306;
    private static final int DENIED = 5432;

    @TempDir
    Path work;

    private ClusterDataplane cluster;
    private ApiServer server;
    private Attachment db;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception
    {
        final boolean ci = "true".equals(System.getenv("CI"));
        assumeTrue(ApiServer.isAvailable() || ci, "Netty epoll is not available here");
        try
        {
            Pcaps.openDead(DataLinkType.EN10MB, 65_535).close();
        }
        catch (final Exception | LinkageError missing)
        {
            if (ci)
            {
                throw new AssertionError("CI=true: libpcap is required", missing);
            }
            assumeTrue(false, "libpcap is not installed (apt-get install libpcap0.8)");
        }
        cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY).withFrames(256, Frame.EMULATED_CAPACITY).withThreading(2, IdleMode.BLOCKING));
        final ClusterModel model = new ClusterModel(cluster::publishPolicy);
        final Attachment web = cluster.addPod("default/web", "node-1", 0, ServedPorts.of());
        db = cluster.addPod("prod/db", "node-2", 0, ServedPorts.of(ServedPorts.key(IpProtocol.TCP, ALLOWED)));
        model.apply(List.of(
            new ClusterChange.AddPod(new Pod("default", "web", "node-1", web.ip(), Map.of("app", "web"), List.of(), web.name())),
            new ClusterChange.AddPod(new Pod("prod", "db", "node-2", db.ip(), Map.of("app", "db"), List.of(), db.name())),
            new ClusterChange.ApplyNetworkPolicy(Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
                "metadata", Map.of("name", "db-policy", "namespace", "prod"),
                "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("app", "db")),
                    "policyTypes", List.of("Ingress"),
                    "ingress", List.of(Map.of(
                        "from", List.of(Map.of("namespaceSelector", Map.of(), "podSelector",
                            Map.of("matchLabels", Map.of("app", "web")))),
                        "ports", List.of(Map.of("protocol", "TCP", "port", ALLOWED)))))))));
        cluster.startLive();
        server = ApiServer.start(new ControlApi(model, () -> cluster.nodes().values(), Map::of),
            ApiServer.Listen.socket(work.resolve("api.sock")), new ApiServer.Limits(4096, 8, 30));
    }

    @AfterEach
    void stop()
    {
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        if (server != null)
        {
            server.close();
        }
        if (cluster != null)
        {
            cluster.close();
        }
    }

    private int replay(final String... arguments)
    {
        out.reset();
        err.reset();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        final List<String> command = new ArrayList<>(List.of("replay"));
        command.addAll(List.of(arguments));
        command.addAll(List.of("--socket", work.resolve("api.sock").toString()));
        return Main.commandLine().execute(command.toArray(String[]::new));
    }

    private DatapathCounters counters(final String node)
    {
        return cluster.node(node).datapath().counters();
    }

    private static void awaitEquals(final long expected, final LongSupplier actual, final String what)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (actual.getAsLong() != expected && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        assertEquals(expected, actual.getAsLong(), what);
    }

    /** 50 SYNs to the allowed port and 50 to the denied one, one too long for a slot, one too large for a body. */
    private Path capture() throws Exception
    {
        final String dbIp = Ipv4.format(db.ip());
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 50; i++)
        {
            frames.add(ReplayPcaps.syn(dbIp, 20_000 + i, ALLOWED, 0));
            frames.add(ReplayPcaps.syn(dbIp, 30_000 + i, DENIED, 0));
        }
        frames.add(ReplayPcaps.syn(dbIp, 40_000, DENIED, 2_000));
        frames.add(ReplayPcaps.syn(dbIp, 40_001, DENIED, 5_000));
        return ReplayPcaps.write(work.resolve("yesterday.pcap"), DataLinkType.EN10MB, frames);
    }

    @Test
    void shouldReplayACaptureInBatchesAsCapturedAndRewritten() throws Exception
    {
        final Path pcap = capture();
        final long spoofedBefore = counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE);
        assertEquals(0, replay("-r", pcap.toString(), "--pod", "default/web"), err.toString());
        final String summary = out.toString();
        assertTrue(summary.contains("102 frames read, 100 injected as captured"), summary);
        assertTrue(summary.contains("1 skipped: longer than the node's ring slot (" + Frame.EMULATED_CAPACITY + " bytes)"),
            summary);
        assertTrue(summary.contains("1 skipped: larger than the daemon takes in one request"), summary);
        assertTrue(summary.contains("SPOOFED_SOURCE"), summary);
        awaitEquals(spoofedBefore + 100, () -> counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE),
            "as captured, no frame is web's own");
        assertEquals(0, counters("node-1").droppedCount(DropReason.RING_FULL), "waited for room, never overran");

        final long deniedBefore = counters("node-2").droppedCount(DropReason.POLICY_DENIED_INGRESS);
        assertEquals(0, replay("-r", pcap.toString(), "--pod", "default/web", "--rewrite-source"), err.toString());
        assertTrue(out.toString().contains("100 injected (100 rewritten as the pod's)"), out.toString());
        awaitEquals(deniedBefore + 50, () -> counters("node-2").droppedCount(DropReason.POLICY_DENIED_INGRESS),
            "each rewritten SYN to the denied port is denied at db");
        assertEquals(spoofedBefore + 100, counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE));
        assertEquals(0, counters("node-1").droppedCount(DropReason.BAD_IP_CHECKSUM));
        assertEquals(0, counters("node-1").droppedCount(DropReason.RING_FULL));
    }

    /** A megabyte batch against a 4 KiB limit: refused before it is read (the write may break), halved until it fits. */
    @Test
    void shouldHalveItsBatchesUntilTheDaemonTakesThem() throws Exception
    {
        final String dbIp = Ipv4.format(db.ip());
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 1_000; i++)
        {
            frames.add(ReplayPcaps.syn(dbIp, 10_000 + i, DENIED, 1_100));
        }
        final Path pcap = ReplayPcaps.write(work.resolve("big.pcap"), DataLinkType.EN10MB, frames);
        final long spoofedBefore = counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE);
        assertEquals(0, replay("-r", pcap.toString(), "--pod", "default/web"), err.toString());
        assertTrue(out.toString().contains("1000 frames read, 1000 injected"), out.toString());
        awaitEquals(spoofedBefore + 1_000, () -> counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE),
            "every frame went in once");
    }

    @Test
    void shouldPaceAtTheAskedRate() throws Exception
    {
        final String dbIp = Ipv4.format(db.ip());
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 30; i++)
        {
            frames.add(ReplayPcaps.syn(dbIp, 20_000 + i, DENIED, 0));
        }
        final Path pcap = ReplayPcaps.write(work.resolve("paced.pcap"), DataLinkType.EN10MB, frames);
        final long startNs = System.nanoTime();
        assertEquals(0, replay("-r", pcap.toString(), "--pod", "default/web", "--rate", "100"), err.toString());
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs >= 280 && tookMs < 5_000, "30 frames at 100 a second take about 0.3 s, not " + tookMs + " ms");
        assertTrue(out.toString().contains("30 frames read, 30 injected"), out.toString());
    }

    @Test
    void shouldRefuseWhatItCannotReplayWithAMessage() throws Exception
    {
        final Path cooked = ReplayPcaps.write(work.resolve("cooked.pcap"), DataLinkType.LINUX_SLL, List.of(new byte[40]));
        assertEquals(2, replay("-r", cooked.toString(), "--pod", "default/web"));
        assertTrue(err.toString().contains(cooked + " has link type 113"), err.toString());
        assertTrue(!err.toString().contains("Exception"), "no stack trace: " + err);

        final Path notes = Files.writeString(work.resolve("notes.pcap"), "not a capture");
        assertEquals(2, replay("-r", notes.toString(), "--pod", "default/web"));
        assertTrue(err.toString().contains(notes + " is not a capture file"), err.toString());

        // Two whole frames, then a record that promises 74 bytes of which 20 are there.
        final Path whole = ReplayPcaps.write(work.resolve("whole.pcap"), DataLinkType.EN10MB, List.of(
            ReplayPcaps.syn(Ipv4.format(db.ip()), 1, DENIED, 0), ReplayPcaps.syn(Ipv4.format(db.ip()), 2, DENIED, 0)));
        final java.nio.ByteBuffer cut = java.nio.ByteBuffer.allocate(16 + 20).order(java.nio.ByteOrder.nativeOrder());
        cut.putInt(1_709_294_401).putInt(0).putInt(74).putInt(74);
        final Path damaged = work.resolve("damaged.pcap");
        Files.write(damaged, Files.readAllBytes(whole));
        Files.write(damaged, cut.array(), java.nio.file.StandardOpenOption.APPEND);
        final long spoofedBefore = counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE);
        assertEquals(2, replay("-r", damaged.toString(), "--pod", "default/web"));
        assertTrue(err.toString().contains(damaged + ": cannot read frame 3"), err.toString());
        assertTrue(err.toString().contains("the replay stopped there, 2 frames before it injected"), err.toString());
        awaitEquals(spoofedBefore + 2, () -> counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE),
            "the frames before the damage went in");

        final Path empty = ReplayPcaps.write(work.resolve("empty.pcap"), DataLinkType.EN10MB, List.of());
        assertEquals(1, replay("-r", empty.toString(), "--pod", "default/nobody"));
        assertTrue(err.toString().contains("pods \"default/nobody\" not found"), err.toString());
        assertEquals(0, replay("-r", empty.toString(), "--pod", "default/web"), err.toString());
        assertTrue(out.toString().contains("0 frames read, 0 injected"), out.toString());

        assertEquals(2, replay("-r", empty.toString(), "--pod", "web"));
        assertEquals(2, replay("-r", empty.toString(), "--pod", "default/web", "--rate", "0"));
    }
}
