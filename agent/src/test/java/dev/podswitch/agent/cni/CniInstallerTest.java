package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code podswitch cni install/uninstall} without root: the plugin lands in the plugin directory
 * as an executable that really runs (VERSION answered, exit 1 with code 11 when no agent listens),
 * the conflist in the config directory is the one runtimes will pick, and uninstall takes it all away.
 * Whatever the paths hold, the plugin script hands each to the JVM as one word.
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

    @Test
    void shouldRunThePluginThroughItsWrapperWhenEveryPathHoldsASpaceAndAQuote(@TempDir final Path directory)
        throws Exception
    {
        final Path odd = Files.createDirectory(directory.resolve("pod's \"net\" $HOME `id`"));
        final Path bin = odd.resolve("bin");
        // The JDK too, through a link, so the java path in the script is an odd one as well.
        final Path javaHome = Files.createSymbolicLink(odd.resolve("java's home"), Path.of(System.getProperty("java.home")));

        final CniInstaller.Installed installed = CniInstaller.install(bin, odd.resolve("net.d"), odd.resolve("agent.sock"),
            "podnet", "node-2", javaHome);

        assertTrue(installed.cached(), "the AOT cache is made and named whatever its path holds");
        final PluginProcess.Result version = PluginProcess.run(installed.plugin(), Map.of("CNI_COMMAND", "VERSION"),
            "{\"cniVersion\":\"1.0.0\"}");
        assertEquals(0, version.exitStatus(), version.toString());
        assertEquals("1.0.0", version.json().path("cniVersion").asText(), version.toString());
        assertEquals("", version.stderr(), "no JVM warning: the AOT cache was found and taken");
        final PluginProcess.Result add = PluginProcess.run(installed.plugin(), Map.of("CNI_COMMAND", "ADD"),
            "{\"cniVersion\":\"1.0.0\"}");
        assertTrue(add.json().path("details").asText().contains(odd.resolve("agent.sock").toString()),
            "the socket reaches the plugin as it is: " + add);
    }

    @Test
    void shouldPassEachPathToTheJvmAsOneWordWhateverItHolds(@TempDir final Path directory) throws Exception
    {
        // A stand-in for java that prints the words it was given, each ended by a NUL.
        final Path java = directory.resolve("java's");
        Files.writeString(java, "#!/bin/sh\nfor word; do printf '%s\\0' \"$word\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
        // Were a path not one word, one of these would run and leave its file in the directory.
        final Path odd = directory.resolve("a b'c\"d $(touch " + directory.resolve("x") + ")`touch "
            + directory.resolve("y") + "`\n'; touch " + directory.resolve("z") + " #");
        final Path script = directory.resolve("plugin");
        Files.writeString(script, CniInstaller.wrapper(java, odd.resolve("plugin.jar"), odd.resolve("plugin.aot"),
            odd.resolve("agent.sock")));

        final PluginProcess.Result run = PluginProcess.run(List.of("/bin/sh", script.toString()), Map.of(), "");

        assertEquals(0, run.exitStatus(), run.toString());
        assertEquals(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-XX:-UsePerfData",
            "-XX:AOTCache=" + odd.resolve("plugin.aot"), "-Dpodswitch.cni.socket=" + odd.resolve("agent.sock"), "-cp",
            odd.resolve("plugin.jar").toString(), "dev.podswitch.cni.PluginClient"), Arrays.asList(run.stdout().split("\0")));
        assertEquals("", run.stderr());
        try (var left = Files.list(directory))
        {
            assertEquals(List.of(java, script), left.sorted().toList(), "nothing the script was not meant to run ran");
        }
    }

    @Test
    void shouldNameEveryPathAbsolutelyInTheWrapperWhenGivenRelativeOnes(@TempDir final Path directory) throws Exception
    {
        // As a user may type them; a runtime then execs the plugin from a working directory of its own.
        final Path here = Path.of("").toAbsolutePath();
        final Path bin = here.relativize(directory.resolve("bin"));
        final Path socket = here.relativize(directory.resolve("agent.sock"));

        final CniInstaller.Installed installed = CniInstaller.install(bin, here.relativize(directory.resolve("net.d")),
            socket, "podnet", null, Path.of(System.getProperty("java.home")));

        // Not normalized: with a link on the way, a/link/.. is not a, and the paths must name what the user's did.
        final String script = Files.readString(installed.plugin());
        assertTrue(script.contains(" -cp " + CniInstaller.shellWord(here.resolve(bin).resolve(CniInstaller.SUPPORT_DIRECTORY)
            .resolve(CniInstaller.JAR).toString()) + " "), script);
        assertTrue(script.contains(CniInstaller.shellWord("-Dpodswitch.cni.socket=" + here.resolve(socket))), script);
    }

    @Test
    void shouldRefuseABinDirectoryWhosePathHoldsTheClassPathSeparator(@TempDir final Path directory)
    {
        final Path bin = directory.resolve("opt:cni");

        final IOException refused = assertThrows(IOException.class, () -> CniInstaller.install(bin,
            directory.resolve("net.d"), directory.resolve("agent.sock"), "podnet", null,
            Path.of(System.getProperty("java.home"))));

        assertTrue(refused.getMessage().contains("--bin-dir"), refused.getMessage());
        assertFalse(Files.exists(bin), "nothing written");
    }
}
