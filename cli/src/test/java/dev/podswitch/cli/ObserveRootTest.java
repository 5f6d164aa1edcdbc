package dev.podswitch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.podswitch.control.live.NetworkNamespaces;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code podswitch observe} on a live {@code up} lab (real namespaces, real TCP through TAPs and
 * VXLAN between two nodes): with only {@code default/web} allowed to {@code prod/db} on TCP 3306,
 * web's connection is a FORWARDED flow naming the allowing policy and rule, another pod's a DROPPED
 * one (POLICY_DENIED_INGRESS) naming the policy that isolates db — the flows Hubble would show;
 * and {@code podswitch report} draws the same lab, its policy and those flows.
 */
@Tag("root")
class ObserveRootTest
{
    @TempDir
    Path work;

    @BeforeEach
    void requireLiveLab()
    {
        PolicyUpLab.requireLiveLab();
    }

    @Test
    void shouldShowTheAllowedAndTheDeniedConnectionWithThePoliciesThatDecided() throws Exception
    {
        try (PolicyUpLab lab = PolicyUpLab.start(work))
        {
            assertTrue(connects(lab.namespaceOf("default/web"), PolicyUpLab.DB_IP, 3306), "web reaches db");
            assertFalse(connects(lab.namespaceOf("default/other"), PolicyUpLab.DB_IP, 3306), "other does not");

            final List<JsonNode> flows = lab.observeJson("--to-pod", "prod/db", "--node", "node-2", "--protocol", "TCP",
                "--port", "3306");
            final JsonNode allowed = bySource(flows, "web");
            assertEquals("FORWARDED", allowed.path("verdict").asText(), allowed.toString());
            assertEquals("INGRESS", allowed.path("traffic_direction").asText());
            assertEquals("db-policy", allowed.path("ingress_allowed_by").path(0).path("name").asText(), allowed.toString());
            assertTrue(allowed.path("l4").path("TCP").path("flags").path("SYN").asBoolean(), allowed.toString());
            final JsonNode denied = bySource(flows, "other");
            assertEquals("DROPPED", denied.path("verdict").asText(), denied.toString());
            assertEquals("POLICY_DENIED_INGRESS", denied.path("drop_reason_desc").asText());
            assertEquals("prod", denied.path("ingress_denied_by").path(0).path("namespace").asText(), denied.toString());
            assertEquals("db-policy", denied.path("ingress_denied_by").path(0).path("name").asText());

            final DaemonProcess.Result compact = lab.run("observe", "--from-pod", "default/other", "--verdict", "DROPPED");
            assertEquals(0, compact.exit(), compact.err());
            assertTrue(compact.out().lines().anyMatch(line -> line.contains("default/other:")
                && line.contains("-> prod/db:3306 TCP SYN DROPPED (ingress denied: prod/db-policy)")), compact.out());
            final DaemonProcess.Result invalid = lab.run("observe", "--verdict", "MAYBE");
            assertEquals(2, invalid.exit(), "a bad filter is invalid input: " + invalid.err());
        }
    }

    @Test
    void shouldWriteTheTeachingReportOfTheRunningLab() throws Exception
    {
        try (PolicyUpLab lab = PolicyUpLab.start(work))
        {
            assertFalse(connects(lab.namespaceOf("default/other"), PolicyUpLab.DB_IP, 3306), "other does not reach db");
            final Path page = work.resolve("lab.html");
            final DaemonProcess.Result written = lab.run("report", "-w", page.toString(), "--port", "3306");
            assertEquals(0, written.exit(), written.err());
            final String html = Files.readString(page);
            assertTrue(html.contains("<svg class=\"topology\"") && html.contains("data-node=\"node-2\"")
                && html.contains("data-pod=\"prod/db\"") && html.contains("10.244.1.10"), "the lab's picture");
            assertTrue(html.contains("<div class=policyname>prod/db-policy</div>"), "the policy in force");
            assertTrue(html.contains("title=\"TCP/3306 from default/other (10.244.0.11) to prod/db (10.244.1.10): DENIED"),
                "the denied pair explains itself");
            assertTrue(html.contains("allowed by prod/db-policy spec.ingress[0].from[0] ports[0]"),
                "the allowed pair names its rule");
            assertTrue(html.contains("-&gt; prod/db:3306 TCP SYN DROPPED (ingress denied: prod/db-policy)"),
                "the flows list the denied SYN");
            final DaemonProcess.Result invalid = lab.run("report", "-w", page.toString(), "--protocol", "GRE");
            assertEquals(2, invalid.exit(), "an unknown protocol is invalid input: " + invalid.err());
        }
    }

    private static JsonNode bySource(final List<JsonNode> flows, final String pod)
    {
        return flows.stream().filter(flow -> pod.equals(flow.path("source").path("pod_name").asText())).findFirst()
            .orElseThrow(() -> new AssertionError("no flow from " + pod + " in " + flows));
    }

    /** A TCP connection from the pod's namespace, within 2 s (a denied SYN is dropped: no answer). */
    private static boolean connects(final String namespace, final String ip, final int port) throws Exception
    {
        return NetworkNamespaces.callIn(namespace, () ->
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress(ip, port), 2_000);
                return true;
            }
            catch (final IOException failed)
            {
                return false;
            }
        });
    }
}
