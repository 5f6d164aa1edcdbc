package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.podswitch.agent.cni.HandlerFixture.CONFIG_100;
import static dev.podswitch.agent.cni.HandlerFixture.error;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The state directory on a disk that is full — a 64 KiB tmpfs this test mounts (root; under
 * CI=true it must run) and fills. Writing attachments.json fails with an error that names the file
 * and the cause and says the old one is intact; it is, byte for byte, no temp file is left, and
 * the store still holds what the file holds. An ADD that cannot record its intent answers code 5
 * having leased and made nothing.
 */
@Tag("root")
class DiskFullRootTest
{
    private Path mount;

    @BeforeEach
    void mountATinyDisk() throws Exception
    {
        final boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the disk-full tests must run, but this is not root (they mount a tmpfs)");
        }
        assumeTrue(root, "root test skipped: mounting a tmpfs needs root");
        mount = Files.createTempDirectory("psw-tmpfs-");
        run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "psw-tmpfs", mount.toString());
    }

    @AfterEach
    void unmount() throws Exception
    {
        if (mount != null)
        {
            run("umount", mount.toString());
            Files.delete(mount);
        }
    }

    private static void run(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
    }

    /** Fills the disk to its last byte; returns the filler, whose deletion frees it again. */
    private Path fill() throws IOException
    {
        final Path filler = mount.resolve("filler");
        try (OutputStream out = Files.newOutputStream(filler))
        {
            final byte[] block = new byte[512];
            while (true)
            {
                out.write(block);
                out.flush();
            }
        }
        catch (final IOException full)
        {
            assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
        }
        return filler;
    }

    private static CniAttachment attachment(final String containerId, final String ip)
    {
        return new CniAttachment("podnet", containerId, "eth0", "/var/run/netns/" + containerId, "default", containerId,
            Map.of(), "node-1", ip, 24, "10.244.0.1", "0a:58:0a:f4:00:05");
    }

    @Test
    void shouldKeepTheOldFileAndWhatTheStoreHoldsWhenTheDiskIsFull() throws IOException
    {
        final AttachmentStore store = new AttachmentStore(mount);
        final CniAttachment first = attachment("c1", "10.244.0.5");
        store.put(first);
        final Path file = mount.resolve(AttachmentStore.FILE_NAME);
        final String before = Files.readString(file);
        final Path filler = fill();

        final UncheckedIOException full = assertThrows(UncheckedIOException.class,
            () -> store.put(attachment("c2", "10.244.0.6")));

        assertEquals(before, Files.readString(file), "the old file, byte for byte");
        assertEquals(List.of(first), List.copyOf(store.all()), "the store holds what the file holds");
        assertFalse(Files.exists(mount.resolve("." + AttachmentStore.FILE_NAME + ".tmp")), "no temp file is left");
        assertTrue(full.getMessage().contains(file.toString()) && full.getMessage().contains("No space left on device")
            && full.getMessage().contains("intact"), full.getMessage());
        assertThrows(UncheckedIOException.class, () -> store.remove(first));
        assertEquals(List.of(first), List.copyOf(store.all()), "a removal that was not kept is not made either");

        Files.delete(filler);
        store.put(attachment("c2", "10.244.0.6"));
        assertEquals(2, new AttachmentStore(mount).all().size(), "with room again, writes work");
    }

    @Test
    void shouldAnswerCode5HavingLeasedNothingWhenAnAddCannotBeRecorded() throws IOException
    {
        final HandlerFixture fixture = new HandlerFixture(mount);
        fixture.add("pod1");
        final Path file = mount.resolve(AttachmentStore.FILE_NAME);
        final String before = Files.readString(file);
        fill();

        final JsonNode error = error(fixture.run("ADD", "pod2", CONFIG_100), CniVersions.IO_FAILURE);

        assertTrue(error.path("details").asText().contains("No space left on device"), error.toString());
        assertTrue(error.path("details").asText().contains(file.toString()), error.toString());
        assertEquals(before, Files.readString(file));
        assertEquals(List.of("pod1"), fixture.network.attached.stream().map(PodNetwork.AttachRequest::containerId).toList());
        assertEquals(List.of(FakePodNetwork.leaseKey("node-1", "pod1", "eth0")), List.copyOf(fixture.network.leases.keySet()),
            "pod2 leased nothing");
    }
}
