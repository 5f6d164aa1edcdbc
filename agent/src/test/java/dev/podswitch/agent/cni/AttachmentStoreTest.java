package dev.podswitch.agent.cni;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's record of CNI attachments: what a restarted agent reads back to re-attach its pods,
 * and written so that a crash mid-save leaves the old or the new list, never half of one.
 */
class AttachmentStoreTest
{
    private static CniAttachment attachment(final String containerId, final String ip)
    {
        return new CniAttachment("podnet", containerId, "eth0", "/var/run/netns/" + containerId, "shop", "web-" + ip,
            Map.of("app", "web", "tier", "front"), "node-2", ip, 24, "10.244.1.1", "0a:58:0a:f4:01:05");
    }

    @Test
    void shouldReadBackEveryFieldAfterAReload(@TempDir final Path directory)
    {
        final CniAttachment first = attachment("c1", "10.244.1.5");
        final CniAttachment second = attachment("c2", "10.244.1.6");
        final AttachmentStore store = new AttachmentStore(directory);
        store.put(first);
        store.put(second);

        final AttachmentStore reloaded = new AttachmentStore(directory);

        assertEquals(first, reloaded.get("c1", "eth0"), "labels, node, IP, MAC: all of it");
        assertEquals(List.of(first, second), List.copyOf(reloaded.all()), "in the order they were added");
    }

    @Test
    void shouldForgetARemovedAttachmentAcrossAReload(@TempDir final Path directory)
    {
        final AttachmentStore store = new AttachmentStore(directory);
        store.put(attachment("c1", "10.244.1.5"));
        store.put(attachment("c2", "10.244.1.6"));
        store.remove(attachment("c1", "10.244.1.5"));

        final AttachmentStore reloaded = new AttachmentStore(directory);

        assertNull(reloaded.get("c1", "eth0"));
        assertEquals(1, reloaded.all().size());
    }

    @Test
    void shouldStartEmptyWithoutAFile(@TempDir final Path directory)
    {
        assertTrue(new AttachmentStore(directory).all().isEmpty());
        assertFalse(Files.exists(directory.resolve(AttachmentStore.FILE_NAME)), "reading writes nothing");
    }

    @Test
    void shouldReplaceTheFileByRenameNotRewriteItInPlace(@TempDir final Path directory) throws IOException
    {
        final AttachmentStore store = new AttachmentStore(directory);
        store.put(attachment("c1", "10.244.1.5"));
        final Path file = directory.resolve(AttachmentStore.FILE_NAME);
        // A second name for the old file's inode: a write in place would change what it shows, a rename cannot.
        final Path oldInode = Files.createLink(directory.resolve("old-inode.json"), file);
        final String before = Files.readString(oldInode);

        store.put(attachment("c2", "10.244.1.6"));

        assertEquals(before, Files.readString(oldInode), "the old file was not touched");
        assertTrue(Files.readString(file).contains("c2"), "the new file has the new list");
        assertFalse(Files.exists(directory.resolve("." + AttachmentStore.FILE_NAME + ".tmp")), "no temp file is left");
    }

    @Test
    void shouldIgnoreATempFileACrashLeftBehind(@TempDir final Path directory) throws IOException
    {
        final AttachmentStore store = new AttachmentStore(directory);
        store.put(attachment("c1", "10.244.1.5"));
        // A save that died before its rename: half a list in the temp file.
        Files.writeString(directory.resolve("." + AttachmentStore.FILE_NAME + ".tmp"), "[{\"network\":\"podn");

        final AttachmentStore reloaded = new AttachmentStore(directory);
        assertEquals(1, reloaded.all().size(), "the last complete list is what counts");
        reloaded.put(attachment("c2", "10.244.1.6"));

        assertEquals(2, new AttachmentStore(directory).all().size());
        assertFalse(Files.exists(directory.resolve("." + AttachmentStore.FILE_NAME + ".tmp")));
    }

    @Test
    void shouldNameTheFileWhenItCannotBeRead(@TempDir final Path directory) throws IOException
    {
        Files.writeString(directory.resolve(AttachmentStore.FILE_NAME), "[{ not json");

        final UncheckedIOException error = assertThrows(UncheckedIOException.class, () -> new AttachmentStore(directory));

        assertTrue(error.getMessage().contains(directory.resolve(AttachmentStore.FILE_NAME).toString()), error.getMessage());
    }
}
