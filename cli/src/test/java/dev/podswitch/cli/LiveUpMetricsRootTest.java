package dev.podswitch.cli;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveProbes;
import dev.podswitch.scenarios.live.LiveSupport;
import dev.podswitch.scenarios.load.ScenarioLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code up --metrics-address}: every node of the live lab on one /metrics, its counters moving with real pings. */
@Tag("root")
class LiveUpMetricsRootTest
{
    private static final Pattern URL = Pattern.compile("curl -s (http://\\S+/metrics)");

    @BeforeEach
    void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason()
            : LiveProbes.pingMissing();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    private static String scrape(final String url) throws Exception
    {
        try (HttpClient client = HttpClient.newHttpClient())
        {
            final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            return response.body();
        }
    }

    /** The value of the sample that starts with {@code series} (name and labels exactly as exposed). */
    private static double sample(final String text, final String series)
    {
        return text.lines().filter(line -> line.startsWith(series + " ")).findFirst()
            .map(line -> Double.parseDouble(line.substring(series.length() + 1)))
            .orElseThrow(() -> new AssertionError("no " + series + " in\n" + text));
    }

    @Test
    void shouldServeEveryNodeOfTheLabAndCountItsPings(@TempDir final Path stateDirectory) throws Exception
    {
        final CountDownLatch stop = new CountDownLatch(1);
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final CompletableFuture<Void> up = CompletableFuture.runAsync(() ->
        {
            try
            {
                LiveUp.serve(ScenarioLoader.load(Path.of("../scenarios/library/external-hosts.yaml")),
                    ClusterOptions.Underlay.MEMORY, IdleMode.BLOCKING, stateDirectory,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    new PrintStream(printed, true, StandardCharsets.UTF_8), stop);
            }
            catch (final Exception failed)
            {
                throw new AssertionError(failed);
            }
        });
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!printed.toString(StandardCharsets.UTF_8).contains("tears everything down") && !up.isDone()
                && System.nanoTime() < deadline)
            {
                Thread.sleep(50);
            }
            final String text = printed.toString(StandardCharsets.UTF_8);
            final Matcher url = URL.matcher(text);
            assertTrue(url.find(), text);
            assertTrue(url.group(1).startsWith("http://127.0.0.1:"), "bound on loopback as asked: " + url.group(1));

            final String before = scrape(url.group(1));
            for (final String node : List.of("node-1", "node-2"))
            {
                assertTrue(sample(before, "podswitch_ring_slots{node=\"" + node + "\"}") > 0, node);
            }
            final List<String> namespaces = LabStateFile.parse(Files.readString(
                LabStateFile.fileFor(stateDirectory, ProcessHandle.current().pid()))).namespaces();
            final String hostIp = text.lines().filter(line -> line.strip().startsWith("backup ")).findFirst()
                .map(line -> line.strip().split("\\s+")[2]).orElseThrow(() -> new AssertionError(text));
            final IpCommand.Result ping = IpCommand.execIn(namespaces.getFirst(), "ping", "-c", "3", "-i", "0.2", "-w", "5",
                hostIp);
            assertTrue(ping.succeeded(), ping.output());

            final String after = scrape(url.group(1));
            final double forwarded = sample(after, "podswitch_forwarded_packets_total{node=\"node-1\"}")
                + sample(after, "podswitch_forwarded_packets_total{node=\"node-2\"}")
                - sample(before, "podswitch_forwarded_packets_total{node=\"node-1\"}")
                - sample(before, "podswitch_forwarded_packets_total{node=\"node-2\"}");
            assertTrue(forwarded >= 6, "three echo requests and three replies forwarded: " + forwarded);
        }
        finally
        {
            stop.countDown();
            up.get(30, TimeUnit.SECONDS);
        }
    }
}
