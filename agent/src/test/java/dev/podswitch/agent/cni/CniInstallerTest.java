package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code podswitch cni install/uninstall} without root: the plugin lands in the plugin directory
 * as an executable that really runs (VERSION answered, exit 1 with code 11 when no agent listens),
 * the conflist in the config directory is the one runtimes will pick, and uninstall takes it all away.
 */
class CniInstallerTest
{
    @Test
    void shouldInstallARunnablePluginAndAConflistAndUninstallBoth(@TempDir final Path directory) throws Exception
    {
        final Path bin = directory.resolve("bin");
        final Path conf = directory.resolve("net.d");
        final Path socket = directory.resolve("agent.sock");

        final CniInstaller.Installed installed = CniInstaller.install(bin, conf, socket, "podnet", "node-2",
            Path.of(System.getProperty("java.home")));

        assertEquals(bin.resolve("podswitch"), installed.plugin());
        assertTrue(Files.isExecutable(installed.plugin()));
        final JsonNode config = HandlerFixture.JSON.readTree(installed.config().toFile());
        assertEquals("podnet", config.path("name").asText());
        assertEquals("1.0.0", config.path("cniVersion").asText(), "what Debian's cnitool and every runtime speak");
        assertEquals("podswitch", config.path("plugins").get(0).path("type").asText());
        assertEquals("node-2", config.path("plugins").get(0).path("node").asText());
        assertEquals(installed.config(), CniConfigDirectory.inForce(conf).file());
        try (var left = Files.list(conf))
        {
            assertEquals(List.of(installed.config()), left.toList(), "no temp file left beside it");
        }

        final PluginProcess.Result version = PluginProcess.run(installed.plugin(), Map.of("CNI_COMMAND", "VERSION"),
            "{\"cniVersion\":\"1.0.0\"}");
        assertEquals(0, version.exitStatus(), version.toString());
        assertEquals("1.0.0", version.json().path("cniVersion").asText());

        final PluginProcess.Result add = PluginProcess.run(installed.plugin(), Map.of("CNI_COMMAND", "ADD",
            "CNI_CONTAINERID", "c1", "CNI_NETNS", "/var/run/netns/none", "CNI_IFNAME", "eth0", "CNI_PATH",
            bin.toString()), Files.readString(installed.config()));
        assertEquals(1, add.exitStatus(), add.toString());
        assertEquals(CniVersions.TRY_AGAIN_LATER, add.json().path("code").asInt(), add.toString());

        final List<Path> removed = CniInstaller.uninstall(bin, conf);

        assertTrue(removed.contains(installed.plugin()) && removed.contains(installed.config()), removed.toString());
        assertFalse(Files.exists(bin.resolve("podswitch.d")));
        assertEquals(List.of(), CniInstaller.uninstall(bin, conf), "a second uninstall has nothing to do");
    }
}
