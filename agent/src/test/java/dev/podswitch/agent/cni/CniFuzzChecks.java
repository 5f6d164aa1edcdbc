package dev.podswitch.agent.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the CNI fuzz targets hold a {@link CniHandler} to after each invocation, on a
 * {@link HandlerFixture} in a directory of its own (deleted by {@link #close}):
 * <ul>
 *   <li>exit 0 with the command's answer (ADD: a result ending with its address; VERSION: the supported
 *       versions; the others: nothing), or exit 1 with the spec's error object — never the
 *       catch-all "podswitch agent error", which answers an exception the handler did not expect;</li>
 *   <li>a refused invocation leaves attachments and leases as they were;</li>
 *   <li>every attachment holds the lease of its address and no lease is left without an attachment;</li>
 *   <li>the attachment store reads back from disk as it is in memory (a restart loses nothing).</li>
 * </ul>
 */
final class CniFuzzChecks implements AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CATCH_ALL = "podswitch agent error";

    private final Path directory;
    private final HandlerFixture fixture;

    CniFuzzChecks(final Path directory) throws IOException
    {
        this.directory = Files.createDirectories(directory);
        this.fixture = new HandlerFixture(directory);
    }

    Path netns()
    {
        return fixture.netns;
    }

    /** Runs one invocation and checks it (a finding once left out here is fixed: {@link CniHandlerFuzzFindingsTest}). */
    CniHandler.Outcome handle(final Map<String, String> environment, final byte[] stdin)
    {
        final Set<CniAttachment> attachmentsBefore = new HashSet<>(fixture.store.all());
        final Map<String, String> leasesBefore = new LinkedHashMap<>(fixture.network.leases);
        final CniHandler.Outcome outcome = fixture.handler.handle(environment, stdin);
        final String what = environment + " " + new String(stdin, StandardCharsets.UTF_8) + " -> "
            + outcome;
        final String command = environment.get("CNI_COMMAND");
        if (outcome.exitStatus() == 0)
        {
            if ("ADD".equals(command))
            {
                // Chained after another plugin, its entries come first: podswitch's address is the last one.
                final JsonNode ips = json(outcome.stdout(), what).path("ips");
                assertTrue(ips.isArray() && !ips.isEmpty() && ips.get(ips.size() - 1).path("address").isTextual(), what);
            }
            else if ("VERSION".equals(command))
            {
                assertTrue(json(outcome.stdout(), what).path("supportedVersions").isArray(), what);
            }
            else
            {
                assertEquals("", outcome.stdout(), what);
            }
        }
        else
        {
            assertEquals(1, outcome.exitStatus(), what);
            final JsonNode error = json(outcome.stdout(), what);
            assertTrue(error.path("code").isInt() && error.path("msg").isTextual(), what);
            assertNotEquals(CATCH_ALL, error.path("msg").asText(), () -> "an exception the handler did not expect: "
                + what);
            assertEquals(attachmentsBefore, new HashSet<>(fixture.store.all()), "a refused invocation changed the "
                + "attachments: " + what);
            assertEquals(leasesBefore, fixture.network.leases, "a refused invocation changed the leases: " + what);
        }
        final Map<String, String> leasesOfAttachments = new LinkedHashMap<>();
        for (final CniAttachment attachment : fixture.store.all())
        {
            leasesOfAttachments.put(FakePodNetwork.leaseKey(attachment.node(), attachment.containerId(),
                attachment.ifName()), attachment.ip());
        }
        assertEquals(leasesOfAttachments, fixture.network.leases, "attachments and leases: " + what);
        assertEquals(new HashSet<>(fixture.store.all()), new HashSet<>(new AttachmentStore(directory).all()),
            "the store as a restart reads it: " + what);
        return outcome;
    }

    private static JsonNode json(final String stdout, final String what)
    {
        try
        {
            final JsonNode node = JSON.readTree(stdout);
            assertTrue(node != null && node.isObject(), what);
            return node;
        }
        catch (final JsonProcessingException notJson)
        {
            return fail("stdout is not JSON: " + what, notJson);
        }
    }

    @Override
    public void close()
    {
        try (Stream<Path> files = Files.walk(directory))
        {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(file);
            }
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(failed);
        }
    }
}
