package dev.podswitch.agent.cni;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The config directory as runtimes read it (libcni's {@code ConfFiles} + sort, the first file
 * wins): {@code .conflist}, {@code .conf} and {@code .json} files in byte-wise lexical order of
 * their names — so {@code 10-} comes before {@code 9-} — everything else ignored, and a first file
 * that cannot be used is an error naming it, even when a later file is fine.
 */
class CniConfigDirectoryTest
{
    private static final String LIST = "{\"cniVersion\":\"1.0.0\",\"name\":\"%s\",\"plugins\":[{\"type\":\"%s\"}]}";
    private static final String SINGLE = "{\"cniVersion\":\"1.0.0\",\"name\":\"%s\",\"type\":\"%s\"}";

    private static void write(final Path directory, final String file, final String text) throws IOException
    {
        Files.writeString(directory.resolve(file), text);
    }

    @Test
    void shouldListConfigFilesInLexicalOrderAndIgnoreOtherNames(@TempDir final Path directory) throws IOException
    {
        write(directory, "9-late.conf", SINGLE.formatted("late", "bridge"));
        write(directory, "10-podswitch.conflist", LIST.formatted("podswitch", "podswitch"));
        write(directory, "05-other.json", SINGLE.formatted("other", "bridge"));
        write(directory, "01-notes.yaml", "not a config");
        write(directory, "00-backup.conflist.bak", "an editor's backup");
        // What CniInstaller writes before its rename: hidden and not ending in a config extension.
        write(directory, ".10-podswitch.conflist.tmp", "{");
        // libcni compares the extension exactly: upper case is not a config.
        write(directory, "02-SHOUT.CONFLIST", LIST.formatted("shout", "bridge"));
        Files.createDirectory(directory.resolve("03-a-directory.conflist"));

        final List<String> names = CniConfigDirectory.candidates(directory).stream()
            .map(path -> path.getFileName().toString()).toList();

        assertEquals(List.of("05-other.json", "10-podswitch.conflist", "9-late.conf"), names);
    }

    @Test
    void shouldPutTheLexicallyFirstFileInForceAndListTheRestAsIgnored(@TempDir final Path directory) throws Exception
    {
        write(directory, "10-podswitch.conflist", LIST.formatted("podswitch", "podswitch"));
        write(directory, "05-other.conflist",
            "{\"cniVersion\":\"1.0.0\",\"name\":\"other\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}");

        final CniConfigDirectory.InForce inForce = CniConfigDirectory.inForce(directory);

        assertEquals(directory.resolve("05-other.conflist"), inForce.file());
        assertEquals("other", inForce.name());
        assertEquals("1.0.0", inForce.cniVersion());
        assertEquals(List.of("bridge", "portmap"), inForce.plugins());
        assertFalse(inForce.podswitchFirst());
        assertEquals(List.of(directory.resolve("10-podswitch.conflist")), inForce.ignored());
    }

    @Test
    void shouldReadASinglePluginConfigAsAOnePluginList(@TempDir final Path directory) throws Exception
    {
        write(directory, "00-podswitch.conf", SINGLE.formatted("podnet", "podswitch"));

        final CniConfigDirectory.InForce inForce = CniConfigDirectory.inForce(directory);

        assertEquals(List.of("podswitch"), inForce.plugins());
        assertTrue(inForce.podswitchFirst());
    }

    @Test
    void shouldNameTheFirstFileWhenItIsNotJsonEvenIfALaterOneIsValid(@TempDir final Path directory) throws IOException
    {
        write(directory, "00-broken.conflist", "{\"cniVersion\": \"1.0.0\",");
        write(directory, "10-podswitch.conflist", LIST.formatted("podswitch", "podswitch"));

        final CniConfigDirectory.InvalidConfig invalid = assertThrows(CniConfigDirectory.InvalidConfig.class,
            () -> CniConfigDirectory.inForce(directory));

        assertEquals(directory.resolve("00-broken.conflist"), invalid.file());
        assertTrue(invalid.getMessage().startsWith(directory.resolve("00-broken.conflist").toString()), invalid.getMessage());
    }

    @Test
    void shouldNameTheFirstFileWhenItLacksWhatTheSpecRequires(@TempDir final Path directory) throws IOException
    {
        for (final String[] broken : new String[][] {
            {"00-a.conflist", "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"bridge\"}]}", "name"},
            {"00-b.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", "plugins"},
            {"00-c.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[]}", "plugins"},
            {"00-d.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"ipam\":{}}]}", "type"},
            {"00-e.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", "type"},
            {"00-f.json", "[]", "object"}})
        {
            write(directory, broken[0], broken[1]);
            final CniConfigDirectory.InvalidConfig invalid = assertThrows(CniConfigDirectory.InvalidConfig.class,
                () -> CniConfigDirectory.inForce(directory), broken[0]);
            assertEquals(directory.resolve(broken[0]), invalid.file());
            assertTrue(invalid.getMessage().contains(broken[2]), invalid.getMessage());
            Files.delete(directory.resolve(broken[0]));
        }
    }

    @Test
    void shouldHaveNoConfigInAnEmptyOrMissingDirectory(@TempDir final Path directory) throws Exception
    {
        assertNull(CniConfigDirectory.inForce(directory));
        assertEquals(List.of(), CniConfigDirectory.candidates(directory.resolve("missing")));
        assertNull(CniConfigDirectory.inForce(directory.resolve("missing")));
    }
}
