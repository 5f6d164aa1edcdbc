package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.scenarios.load.ScenarioLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code run --capture}: the pcap files are read back by tshark, a decoder nobody here wrote. On
 * a laptop without tshark the test skips with a message; under CI=true tshark must be there.
 */
class CaptureTest
{
    private static List<String> tshark(final Path file, final String filter, final String... fields)
        throws IOException, InterruptedException
    {
        // Checksum verification is off by default in tshark: turn it on for every protocol we write.
        final List<String> command = new java.util.ArrayList<>(List.of("tshark", "-n", "-r", file.toString(),
            "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", "sctp.checksum:crc-32c", "-Y", filter, "-T", "fields"));
        for (final String field : fields)
        {
            command.add("-e");
            command.add(field);
        }
        final Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, process.exitValue(), "tshark failed: " + errors);
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    private static boolean tsharkAvailable()
    {
        try
        {
            return new ProcessBuilder("tshark", "-v").redirectErrorStream(true).start().waitFor() == 0;
        }
        catch (final IOException | InterruptedException missing)
        {
            return false;
        }
    }

    @Test
    void shouldWritePcapsThatTsharkDecodesWithTheProbesAndTheSendersOwnAddresses(@TempDir final Path directory)
        throws Exception
    {
        if (!tsharkAvailable())
        {
            if ("true".equals(System.getenv("CI")))
            {
                throw new AssertionError("tshark is required under CI=true (.ci/run installs it)");
            }
            Assumptions.abort("tshark is not installed (apt-get install tshark): capture decoding not checked");
        }
        final var scenario = ScenarioLoader.load(Path.of("library/two-nodes.yaml"));
        final ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        new ScenarioRunner(ClusterOptions.Underlay.MEMORY, RunListener.NONE)
            .capturingTo(directory, new PrintStream(warnings, true, StandardCharsets.UTF_8)).run(scenario);
        assertEquals("", warnings.toString(StandardCharsets.UTF_8), "no capture missed a frame");

        final Path node2 = directory.resolve("two-nodes.node-2.pcap");
        assertTrue(Files.size(node2) > 24, "node-2's capture holds frames");
        // The client (10.244.0.10, node-1) opens TCP 8080 on the server (node-2): node-2 receives the
        // decapsulated SYN with the client's own address as its source.
        final List<String> syns = tshark(node2, "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8080",
            "ip.src", "ip.dst");
        assertTrue(syns.contains("10.244.0.10\t10.244.1.10"), "SYN as node-2 received it: " + syns);
        final List<String> sctp = tshark(directory.resolve("two-nodes.node-1.pcap"), "sctp.chunk_type == 2",
            "ip.src");
        assertEquals(List.of("10.244.1.10"), sctp, "the INIT ACK came back to node-1 from the server");
        // Status 1 is "Good", 0 "Bad": every IPv4, TCP, UDP, SCTP (CRC32c) and ICMP checksum we wrote is right.
        for (final Path file : List.of(node2, directory.resolve("two-nodes.node-1.pcap")))
        {
            assertEquals(List.of(), tshark(file, "ip.checksum.status == 0 || tcp.checksum.status == 0 || "
                + "udp.checksum.status == 0 || sctp.checksum.status == 0 || icmp.checksum.status == 0", "frame.number"),
                "bad checksums in " + file);
            assertTrue(tshark(file, "tcp.checksum.status == 1", "frame.number").size() > 4, "TCP checksums verified");
            assertTrue(tshark(file, "sctp.checksum.status == 1", "frame.number").size() >= 1, "SCTP CRC32c verified");
        }
    }
}
