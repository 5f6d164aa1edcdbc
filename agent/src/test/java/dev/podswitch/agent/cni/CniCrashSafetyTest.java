package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_100;
import static dev.podswitch.agent.cni.HandlerFixture.error;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handler's half of crash safety, on the fake network: an ADD's intent is on disk before its
 * lease exists; what an ADD that never finished left (its intent, its lease) is undone by a
 * retried ADD, by DEL, by GC and at start-up; GC and start-up release leases no record holds; and
 * leases always end up equal to the recorded attachments. The agent killed for real between the
 * steps is {@code CniCrashRootTest}'s.
 */
class CniCrashSafetyTest
{
    private static final Map<String, String> GC = Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/opt/cni/bin");

    private HandlerFixture fixture;
    private Path directory;

    @BeforeEach
    void setUp(@TempDir final Path directory)
    {
        this.directory = directory;
        fixture = new HandlerFixture(directory);
    }

    /** What a run that died right after its lease left: the intent on disk and the lease. */
    private CniAttachment leftByADeadAdd(final String containerId)
    {
        final CniAttachment intent = CniAttachment.intent(new PodNetwork.AttachRequest("podnet", containerId, "eth0",
            fixture.netns.toString(), "default", "cni-" + containerId, Map.of(), "node-1", 0));
        fixture.store.put(intent);
        fixture.network.leases.put(FakePodNetwork.leaseKey("node-1", containerId, "eth0"), "10.244.0.99");
        return intent;
    }

    /** Every lease is held by exactly one recorded attachment, with its IP, and nothing is left unfinished. */
    private void assertLeasesEqualAttachments()
    {
        final AttachmentStore reread = new AttachmentStore(directory);
        assertEquals(List.of(), List.copyOf(reread.unfinished()), "no unfinished ADD is left");
        final Map<String, String> recorded = new java.util.LinkedHashMap<>();
        for (final CniAttachment attachment : reread.all())
        {
            recorded.put(FakePodNetwork.leaseKey(attachment.node(), attachment.containerId(), attachment.ifName()),
                attachment.ip());
        }
        assertEquals(recorded, fixture.network.leases);
    }

    @Test
    void shouldHaveTheIntentOnDiskBeforeTheLeaseExists() throws IOException
    {
        final String[] onDiskWhenLeased = new String[1];
        fixture.network.onNextAttach = () ->
        {
            try
            {
                onDiskWhenLeased[0] = Files.readString(directory.resolve(AttachmentStore.FILE_NAME));
            }
            catch (final IOException notThere)
            {
                onDiskWhenLeased[0] = "no file: " + notThere;
            }
        };

        fixture.add("pod1");

        final JsonNode records = HandlerFixture.JSON.readTree(onDiskWhenLeased[0]);
        assertEquals("pod1", records.get(0).path("containerId").asText(), onDiskWhenLeased[0]);
        assertTrue(records.get(0).path("pending").asBoolean(), onDiskWhenLeased[0]);
        assertLeasesEqualAttachments();
        assertTrue(Files.readString(directory.resolve(AttachmentStore.FILE_NAME)).contains("\"pending\" : false"));
    }

    @Test
    void shouldUndoWhatAnUnfinishedAddLeftWhenTheRuntimeRetriesIt()
    {
        leftByADeadAdd("pod1");

        final JsonNode result = fixture.add("pod1");

        assertEquals(List.of("pod1/eth0"), fixture.network.discarded, "the first ADD's leftovers went first");
        assertEquals("10.244.0.2/24", result.path("ips").get(0).path("address").asText());
        assertLeasesEqualAttachments();
    }

    @Test
    void shouldUndoWhatAnUnfinishedAddLeftOnDel()
    {
        leftByADeadAdd("pod1");

        assertEquals(0, fixture.run("DEL", "pod1", CONFIG_100).exitStatus());

        assertEquals(List.of("pod1/eth0"), fixture.network.discarded);
        assertNull(fixture.store.get("pod1", "eth0"));
        assertLeasesEqualAttachments();
    }

    @Test
    void shouldFailCheckOfAnUnfinishedAddWithCode102()
    {
        leftByADeadAdd("pod1");
        final JsonNode previous = HandlerFixture.JSON.createObjectNode().set("ips", HandlerFixture.JSON.createArrayNode());

        final JsonNode error = error(fixture.run("CHECK", "pod1", HandlerFixture.withPrevResult(CONFIG_100, previous)),
            CniVersions.CHECK_FAILED);

        assertTrue(error.path("details").asText().contains("never finished"), error.toString());
    }

    @Test
    void shouldUndoUnfinishedAddsAndReleaseLeasesNoRecordHoldsOnGc()
    {
        fixture.add("kept");
        leftByADeadAdd("unfinished");
        // A lease an older agent left between its lease and its record, before intents were recorded.
        fixture.network.leases.put(FakePodNetwork.leaseKey("node-2", "orphan", "eth0"), "10.244.1.7");

        final CniHandler.Outcome gc = fixture.run(GC, "{\"cniVersion\":\"1.1.0\",\"name\":\"podnet\",\"type\":\"podswitch\","
            + "\"cni.dev/valid-attachments\":[{\"containerID\":\"kept\",\"ifname\":\"eth0\"}]}");

        assertEquals(0, gc.exitStatus(), gc.stdout());
        assertEquals(List.of("unfinished/eth0"), fixture.network.discarded);
        assertEquals(List.of("kept"), fixture.store.all().stream().map(CniAttachment::containerId).toList());
        assertLeasesEqualAttachments();
    }

    @Test
    void shouldPutRightAtStartUpWhatARunThatDiedLeft()
    {
        fixture.add("kept");
        leftByADeadAdd("unfinished");
        fixture.network.leases.put(FakePodNetwork.leaseKey("node-2", "orphan", "eth0"), "10.244.1.7");
        final ByteArrayOutputStream log = new ByteArrayOutputStream();

        CniRecovery.recover(fixture.network, new AttachmentStore(directory), new PrintStream(log, true, StandardCharsets.UTF_8));

        final String logged = log.toString(StandardCharsets.UTF_8);
        assertTrue(logged.contains("undid the ADD of eth0 for container unfinished"), logged);
        assertTrue(logged.contains("re-attached default/cni-kept"), logged);
        assertTrue(logged.contains("released node-2/orphan/eth0"), logged);
        assertLeasesEqualAttachments();
    }

    @Test
    void shouldTakeThePodDownAndAnswerCode5WhenTheFinishedRecordCannotBeKept() throws IOException
    {
        final Path file = directory.resolve(AttachmentStore.FILE_NAME);
        // Once the lease is taken, every write of attachments.json fails: its temp file's name is a full directory.
        final Path blocker = directory.resolve("." + AttachmentStore.FILE_NAME + ".tmp");
        fixture.network.onNextAttach = () ->
        {
            try
            {
                Files.createFile(Files.createDirectory(blocker).resolve("in-the-way"));
            }
            catch (final IOException failed)
            {
                throw new UncheckedIOException(failed);
            }
        };
        final String before = Files.exists(file) ? Files.readString(file) : "";

        final JsonNode error = error(fixture.run("ADD", "pod1", CONFIG_100), CniVersions.IO_FAILURE);

        assertTrue(error.path("details").asText().contains(file.toString()), error.toString());
        assertEquals(List.of("pod1/eth0"), fixture.network.detached, "the pod was taken down again");
        assertTrue(fixture.network.leases.isEmpty(), "its lease released");
        assertTrue(Files.readString(file).contains("\"pending\" : true"), "the intent is still on disk: " + before);
        Files.delete(blocker.resolve("in-the-way"));
        Files.delete(blocker);
        CniRecovery.recover(fixture.network, new AttachmentStore(directory), new PrintStream(new ByteArrayOutputStream()));
        assertLeasesEqualAttachments();
    }
}
