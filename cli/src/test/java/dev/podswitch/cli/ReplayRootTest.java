package dev.podswitch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Replay drives a policy lab from a pcap: on a live {@code up} lab (real namespaces, TAPs, VXLAN
 * between two nodes) where a policy lets {@code default/web} reach {@code prod/db} on TCP 3306
 * only, a capture of TCP SYNs taken somewhere else (pcap4j-built, another machine's addresses)
 * to db's IP on 3306 and on 5432 is replayed as web with {@code --rewrite-source}: the flow log
 * shows the 3306 SYNs FORWARDED and the 5432 ones DROPPED as POLICY_DENIED_INGRESS, and the
 * nodes' POLICY_DENIED_INGRESS counter rises by exactly the number of 5432 SYNs.
 */
@Tag("root")
class ReplayRootTest
{
    private static final int ALLOWED_SYNS = 3;
    private static final int DENIED_SYNS = 5;

    @TempDir
    Path work;

    @BeforeEach
    void requireLiveLab()
    {
        PolicyUpLab.requireLiveLab();
    }

    @Test
    void shouldJudgeAReplayedCaptureByTodaysPolicyInTheFlowLogAndTheCounters() throws Exception
    {
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < DENIED_SYNS; i++)
        {
            if (i < ALLOWED_SYNS)
            {
                frames.add(ReplayPcaps.syn(PolicyUpLab.DB_IP, 41_000 + i, 3306, 0));
            }
            frames.add(ReplayPcaps.syn(PolicyUpLab.DB_IP, 42_000 + i, 5432, 0));
        }
        final Path pcap = ReplayPcaps.write(work.resolve("yesterday.pcap"), DataLinkType.EN10MB, frames);
        try (PolicyUpLab lab = PolicyUpLab.start(work))
        {
            final long deniedBefore = deniedIngress(lab);

            final DaemonProcess.Result replayed = lab.run("replay", "-r", pcap.toString(), "--pod", "default/web",
                "--rewrite-source");
            assertEquals(0, replayed.exit(), replayed.err());
            assertTrue(replayed.out().contains((ALLOWED_SYNS + DENIED_SYNS) + " frames read, "
                + (ALLOWED_SYNS + DENIED_SYNS) + " injected (" + (ALLOWED_SYNS + DENIED_SYNS) + " rewritten as the pod's)"),
                replayed.out());
            assertTrue(replayed.out().contains("on node node-1"), replayed.out());

            // The counter rises by exactly the denied SYNs: wait for it, then make sure nothing more comes.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long denied = deniedIngress(lab);
            while (denied < deniedBefore + DENIED_SYNS && System.nanoTime() < deadline)
            {
                Thread.sleep(100);
                denied = deniedIngress(lab);
            }
            Thread.sleep(500);
            assertEquals(deniedBefore + DENIED_SYNS, deniedIngress(lab),
                "POLICY_DENIED_INGRESS rose by exactly the denied frames");

            final List<JsonNode> flows = lab.observeJson("--from-pod", "default/web", "--to-pod", "prod/db", "--node",
                "node-2", "--protocol", "TCP", "--last", "100");
            final List<JsonNode> allowed = byPort(flows, 3306);
            assertEquals(ALLOWED_SYNS, allowed.size(), "one new connection per SYN to 3306: " + flows);
            for (final JsonNode flow : allowed)
            {
                assertEquals("FORWARDED", flow.path("verdict").asText(), flow.toString());
                assertEquals(PolicyUpLab.WEB_IP, flow.path("source").path("ip").asText(), "the pod's own address: " + flow);
                assertTrue(flow.path("l4").path("TCP").path("flags").path("SYN").asBoolean(), flow.toString());
                assertEquals("db-policy", flow.path("ingress_allowed_by").path(0).path("name").asText(), flow.toString());
            }
            final List<JsonNode> deniedFlows = byPort(flows, 5432);
            assertTrue(!deniedFlows.isEmpty(), "the denied SYNs are in the flow log: " + flows);
            for (final JsonNode flow : deniedFlows)
            {
                assertEquals("DROPPED", flow.path("verdict").asText(), flow.toString());
                assertEquals("POLICY_DENIED_INGRESS", flow.path("drop_reason_desc").asText(), flow.toString());
                assertEquals("db-policy", flow.path("ingress_denied_by").path(0).path("name").asText(), flow.toString());
            }
        }
    }

    private static List<JsonNode> byPort(final List<JsonNode> flows, final int port)
    {
        return flows.stream().filter(flow -> flow.path("l4").path("TCP").path("destination_port").asInt() == port)
            .toList();
    }

    /** POLICY_DENIED_INGRESS summed over the lab's nodes, from {@code podswitch status -o json}. */
    private static long deniedIngress(final PolicyUpLab lab) throws Exception
    {
        final DaemonProcess.Result status = lab.run("status", "-o", "json");
        assertEquals(0, status.exit(), status.err());
        long total = 0;
        for (final JsonNode node : new ObjectMapper().readTree(status.out()).path("nodes"))
        {
            total += node.path("counters").path("dropped").path("POLICY_DENIED_INGRESS").asLong();
        }
        return total;
    }
}
