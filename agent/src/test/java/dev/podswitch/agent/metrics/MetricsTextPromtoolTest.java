package dev.podswitch.agent.metrics;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real scrape of the metrics server, every family present with samples, checked by Prometheus's
 * own {@code promtool check metrics} (Debian's {@code prometheus} package; .ci/run installs it): the
 * exposition parses, and names, types, units and help follow Prometheus's conventions. Skipped
 * where promtool is missing, except under CI=true, where that fails.
 */
class MetricsTextPromtoolTest
{
    private static Path promtool()
    {
        for (final String directory : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
        {
            final Path candidate = Path.of(directory, "promtool");
            if (Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        if ("true".equals(System.getenv("CI")))
        {
            fail("CI=true: promtool must check the metrics text, but it is not on the PATH (apt-get install prometheus)");
        }
        assumeTrue(false, "promtool is not installed (apt-get install prometheus); the metrics text is not checked");
        return null;
    }

    @Test
    void shouldPassPromtoolCheckMetricsOnARealScrape() throws Exception
    {
        final Path promtool = promtool();
        final String text;
        try (ClusterDataplane cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24,
            List.of("node-1", "node-2"), ClusterOptions.Underlay.MEMORY));
            AgentMetrics metrics = AgentMetrics.forAgent(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                () -> cluster.nodes().values()))
        {
            final ClusterModel model = new ClusterModel(cluster::publishPolicy);
            model.compileTimer(metrics.policyCompiles());
            model.apply(List.of(new ClusterChange.PutNamespace("default", Map.of())));
            final ServedPorts web = ServedPorts.of(ServedPorts.key(IpProtocol.TCP, 80));
            final Attachment a = cluster.addPod("default/a", "node-1", 0, web);
            final Attachment b = cluster.addPod("default/b", "node-2", 0, web);
            final Probe probe = new Probe(IpProtocol.TCP, a.name(), a.ip(), b.name(), b.ip(), 80);
            assertTrue(a.endpoint().start(probe));
            assertTrue(cluster.runUntilIdle());
            metrics.cniRequests().answered("ADD", 0, 0.012);
            metrics.cniRequests().answered("DEL", 7, 0.001);
            text = Scrape.of(metrics.url()).text;
        }
        assertTrue(text.contains("podswitch_cni_requests_total{command=\"DEL\",result=\"invalid_config\"} 1"), text);

        final Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream stdin = check.getOutputStream())
        {
            stdin.write(text.getBytes(StandardCharsets.UTF_8));
        }
        final String said = readAll(check);
        assertTrue(check.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, check.exitValue(), "promtool check metrics: " + said + "\non:\n" + text);
    }

    private static String readAll(final Process process) throws IOException
    {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
