package dev.podswitch.agent.api;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.flows.ClusterFlows;
import dev.podswitch.control.flows.FlowFilter;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST …/pods/{name}/replay} on an emulated two-node cluster where a policy lets only
 * {@code default/web} reach {@code prod/db} on TCP 3306: captured SYNs replayed as web go through
 * the anti-spoofing check as captured (dropped, counted) or, rewritten, through policy — the
 * allowed port FORWARDED in the flow log, the other denied at db's node; frames longer than a slot
 * are skipped and counted; a full ring is waited for, never a drop; a malformed body injects nothing.
 */
class ReplayResourceTest
{
    private static final String PATH = "/apis/podswitch.dev/v1/namespaces/default/pods/web/replay";
    private static final int CAPTURED_IP = Ipv4.parse("192.168.7.9");
    private static final long CAPTURED_MAC = 0x02_11_22_33_44_55L;

    private ClusterDataplane cluster;
    private ClusterModel model;
    private ControlApi api;
    private Attachment db;

    private void start(final int ringSize) throws Exception
    {
        cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1", "node-2"),
            ClusterOptions.Underlay.MEMORY).withFrames(ringSize, Frame.EMULATED_CAPACITY));
        model = new ClusterModel(cluster::publishPolicy);
        final Attachment web = cluster.addPod("default/web", "node-1", 0, ServedPorts.of());
        db = cluster.addPod("prod/db", "node-2", 0, ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 3306)));
        model.apply(List.of(
            new ClusterChange.AddPod(new Pod("default", "web", "node-1", web.ip(), Map.of("app", "web"), List.of(), web.name())),
            new ClusterChange.AddPod(new Pod("prod", "db", "node-2", db.ip(), Map.of("app", "db"), List.of(), db.name())),
            new ClusterChange.AddPod(new Pod("prod", "elsewhere", "node-9", Ipv4.parse("10.244.9.9"), Map.of(), List.of(),
                null)),
            new ClusterChange.ApplyNetworkPolicy(Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
                "metadata", Map.of("name", "db-policy", "namespace", "prod"),
                "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("app", "db")),
                    "policyTypes", List.of("Ingress"),
                    "ingress", List.of(Map.of(
                        "from", List.of(Map.of("namespaceSelector", Map.of(), "podSelector",
                            Map.of("matchLabels", Map.of("app", "web")))),
                        "ports", List.of(Map.of("protocol", "TCP", "port", 3306)))))))));
        api = new ControlApi(model, () -> cluster.nodes().values(), Map::of);
    }

    @AfterEach
    void close()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    /** A TCP SYN as captured on some other machine: its addresses, not web's, and no valid checksum. */
    private static byte[] capturedSyn(final int destinationIp, final int sourcePort, final int destinationPort,
        final int length)
    {
        final byte[] frame = new byte[length];
        final MemorySegment segment = MemorySegment.ofArray(frame);
        new EthernetFlyweight().wrap(segment, 0).destinationMac(0x02_aa_bb_cc_dd_eeL).sourceMac(CAPTURED_MAC)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(segment, 14).init(IpProtocol.TCP.number(), CAPTURED_IP, destinationIp,
            length - 14 - 20, 1);
        new TcpFlyweight().wrap(segment, 34).init(sourcePort, destinationPort, 1000, 0, TcpFlyweight.FLAG_SYN);
        return frame;
    }

    private static byte[] body(final byte[]... frames)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (final byte[] frame : frames)
        {
            body.writeBytes(ByteBuffer.allocate(4).putInt(frame.length).array());
            body.writeBytes(frame);
        }
        return body.toByteArray();
    }

    private ApiResponse post(final String path, final Map<String, List<String>> query, final byte[] body)
    {
        return api.handle("POST", path, query, body);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object value)
    {
        return (Map<String, Object>)value;
    }

    private DatapathCounters counters(final String node)
    {
        return cluster.node(node).datapath().counters();
    }

    @Test
    void shouldJudgeCapturedFramesAsThePodsOnlyOnceRewritten() throws Exception
    {
        start(1024);
        final byte[] body = body(capturedSyn(db.ip(), 40001, 3306, 54), capturedSyn(db.ip(), 40002, 5432, 54));

        final ApiResponse asCaptured = post(PATH, Map.of(), body.clone());
        assertEquals(200, asCaptured.status(), String.valueOf(asCaptured.body()));
        assertEquals(2L, map(asCaptured.body()).get("accepted"));
        assertEquals("node-1", map(asCaptured.body()).get("node"));
        assertTrue(cluster.runUntilIdle());
        assertEquals(2, counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE), "not from web's own addresses");

        final ApiResponse rewritten = post(PATH, Map.of("rewriteSource", List.of("true")), body.clone());
        assertEquals(200, rewritten.status(), String.valueOf(rewritten.body()));
        assertEquals(2L, map(rewritten.body()).get("accepted"));
        assertEquals(2L, map(rewritten.body()).get("rewritten"));
        assertTrue(cluster.runUntilIdle());
        assertEquals(2, counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE), "no more spoofing drops");
        assertEquals(1, counters("node-2").droppedCount(DropReason.POLICY_DENIED_INGRESS), "5432 is denied at db");
        assertEquals(0, counters("node-2").droppedCount(DropReason.BAD_IP_CHECKSUM));

        final List<Map<String, Object>> flows = ClusterFlows.read(cluster.nodes().values(), model.snapshot(), Map.of(), 0,
            new FlowFilter(null, "default/web", "prod/db", null, null, "TCP", 0, "node-2")).flows();
        assertEquals(List.of("FORWARDED 3306", "DROPPED 5432"), flows.stream().map(flow -> flow.get("verdict") + " "
            + map(map(flow.get("l4")).get("TCP")).get("destination_port")).toList(), flows.toString());
    }

    @Test
    void shouldSkipAndCountFramesLongerThanASlotWithoutADrop() throws Exception
    {
        start(1024);
        final long before = counters("node-1").receivedCount();
        final ApiResponse answer = post(PATH, Map.of(), body(capturedSyn(db.ip(), 1, 2, 54),
            capturedSyn(db.ip(), 1, 2, Frame.EMULATED_CAPACITY + 1), capturedSyn(db.ip(), 1, 2, 60)));
        assertEquals(200, answer.status());
        assertEquals(3, map(answer.body()).get("frames"));
        assertEquals(2L, map(answer.body()).get("accepted"));
        assertEquals(1L, map(answer.body()).get("skippedTooLong"));
        assertEquals(Frame.EMULATED_CAPACITY, map(answer.body()).get("slotBytes"));
        assertTrue(cluster.runUntilIdle());
        assertEquals(0, counters("node-1").droppedCount(DropReason.FRAME_TOO_LONG), "skipped, not offered");
        assertEquals(before + 2, counters("node-1").receivedCount());
    }

    @Test
    void shouldWaitForRoomInAFullRingRatherThanDrop() throws Exception
    {
        start(64);
        final int count = 1_000;
        final byte[][] frames = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            frames[i] = capturedSyn(db.ip(), 10_000 + i, 5432, 54);
        }
        final byte[] body = body(frames);
        final long before = counters("node-1").receivedCount();
        // The API thread offers 1,000 frames to a 64-slot ring that nobody drains yet: it must wait.
        final CompletableFuture<ApiResponse> replay = CompletableFuture.supplyAsync(() -> post(PATH, Map.of(), body));
        TimeUnit.MILLISECONDS.sleep(200);
        assertTrue(!replay.isDone(), "blocked on the full ring");
        while (!replay.isDone())
        {
            cluster.runUntilIdle();
        }
        cluster.runUntilIdle();
        final ApiResponse answer = replay.get();
        assertEquals(200, answer.status(), String.valueOf(answer.body()));
        assertEquals((long)count, map(answer.body()).get("accepted"));
        assertTrue((Long)map(answer.body()).get("waitedForRoom") >= 1, String.valueOf(answer.body()));
        assertEquals(0, counters("node-1").droppedCount(DropReason.RING_FULL), "our own injection never overran the ring");
        assertEquals(before + count, counters("node-1").receivedCount());
        assertEquals(count, counters("node-1").droppedCount(DropReason.SPOOFED_SOURCE));
    }

    @Test
    void shouldPaceFramesAtTheAskedRate() throws Exception
    {
        start(1024);
        final long startNs = System.nanoTime();
        final ApiResponse answer = post(PATH, Map.of("rate", List.of("50")), body(capturedSyn(db.ip(), 1, 2, 54),
            capturedSyn(db.ip(), 1, 2, 54), capturedSyn(db.ip(), 1, 2, 54), capturedSyn(db.ip(), 1, 2, 54),
            capturedSyn(db.ip(), 1, 2, 54), capturedSyn(db.ip(), 1, 2, 54)));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertEquals(200, answer.status());
        assertTrue(tookMs >= 95, "six frames at 50 a second: the last 100 ms after the first, took " + tookMs + " ms");

        final ApiResponse tooSlow = post(PATH, Map.of("rate", List.of("1")), body(new byte[60], new byte[60],
            new byte[60], new byte[60], new byte[60], new byte[60], new byte[60]));
        assertEquals(400, tooSlow.status(), "7 frames at 1 a second take more than 5 s: " + tooSlow.body());
        assertEquals(400, post(PATH, Map.of("rate", List.of("fast")), new byte[0]).status());
        assertEquals(400, post(PATH, Map.of("rewriteSource", List.of("maybe")), new byte[0]).status());
    }

    @Test
    void shouldInjectNothingFromAMalformedBodyAndSayWhatIsWrongWithTheRequest() throws Exception
    {
        start(1024);
        final long before = counters("node-1").receivedCount();
        final byte[] cut = body(capturedSyn(db.ip(), 1, 2, 54), capturedSyn(db.ip(), 1, 2, 54));
        final ApiResponse malformed = post(PATH, Map.of(), java.util.Arrays.copyOf(cut, cut.length - 10));
        assertEquals(400, malformed.status());
        assertTrue(String.valueOf(map(malformed.body()).get("message")).contains("frame 2 at byte 58 claims 54 bytes; 44 follow"),
            String.valueOf(malformed.body()));
        final ApiResponse stub = post(PATH, Map.of(), new byte[] {0, 0});
        assertEquals(400, stub.status());
        assertTrue(cluster.runUntilIdle());
        assertEquals(before, counters("node-1").receivedCount(), "nothing went in");

        assertEquals(404, post("/apis/podswitch.dev/v1/namespaces/default/pods/nobody/replay", Map.of(), new byte[0])
            .status());
        final ApiResponse elsewhere = post("/apis/podswitch.dev/v1/namespaces/prod/pods/elsewhere/replay", Map.of(),
            new byte[0]);
        assertEquals(404, elsewhere.status());
        assertTrue(String.valueOf(map(elsewhere.body()).get("message")).contains("node-9, which this daemon does not serve"));
        assertEquals(405, api.handle("GET", PATH, Map.of(), new byte[0]).status());
        final ApiResponse empty = post(PATH, Map.of(), new byte[0]);
        assertEquals(200, empty.status(), "an empty body is an empty replay");
        assertEquals(0L, map(empty.body()).get("accepted"));
    }
}
