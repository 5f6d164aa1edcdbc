package dev.podswitch.agent.cni;

import dev.podswitch.agent.state.AtomicFiles;
import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.PluginClient;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code podswitch cni install/uninstall}: puts the plugin where runtimes look for it and a network
 * config where they read it. The plugin is {@code BIN/podswitch}, a two-line shell script that
 * starts the JVM on the JDK-only cni-plugin module's jar alone ({@link PluginJar}) with an
 * ahead-of-time cache of its classes (made here by a training run), so a plugin call loads ~no
 * classes from scratch. The config is
 * {@code CONF/10-podswitch.conflist}, written to a temp file and renamed, so a runtime watching
 * the directory never reads half a file.
 */
public final class CniInstaller
{
    public static final Path DEFAULT_BIN = Path.of("/opt/cni/bin");
    public static final String PLUGIN = "podswitch";
    public static final String CONFIG_FILE = "10-podswitch.conflist";
    static final String SUPPORT_DIRECTORY = "podswitch.d";
    static final String JAR = "podswitch-cni-plugin.jar";
    static final String CACHE = "podswitch-cni-plugin.aot";

    /** What install wrote, for the report. */
    public record Installed(Path plugin, Path config, boolean cached)
    {
    }

    private CniInstaller()
    {
    }

    public static Installed install(final Path binDirectory, final Path confDirectory, final Path socket,
        final String network, final String node, final Path javaHome) throws IOException, InterruptedException
    {
        return install(binDirectory, confDirectory, socket, network, node, 0, javaHome);
    }

    /** As above; {@code mtu} > 0 goes into the config, and pods of this network get that MTU. */
    public static Installed install(final Path binDirectory, final Path confDirectory, final Path socket,
        final String network, final String node, final int mtu, final Path javaHome)
        throws IOException, InterruptedException
    {
        // Absolute: a runtime execs the plugin from a working directory of its own.
        final Path support = binDirectory.toAbsolutePath().resolve(SUPPORT_DIRECTORY);
        final Path jar = support.resolve(JAR);
        if (jar.toString().contains(File.pathSeparator))
        {
            throw new IOException("cannot install into " + binDirectory.toAbsolutePath() + ": the plugin's jar would be "
                + jar + ", and a JVM class path cannot name a path holding '" + File.pathSeparator
                + "' (it separates entries); choose a --bin-dir without one");
        }
        Files.createDirectories(support);
        PluginJar.write(PluginJar.codeSource(), jar);
        final Path java = javaHome.toAbsolutePath().resolve("bin/java");
        final Path cache = support.resolve(CACHE);
        final boolean cached = train(java, jar, cache, socket);
        final Path plugin = binDirectory.resolve(PLUGIN);
        writeAtomically(plugin, wrapper(java, jar, cached ? cache : null, socket.toAbsolutePath()), "rwxr-xr-x");
        Files.createDirectories(confDirectory);
        final Path config = confDirectory.resolve(CONFIG_FILE);
        writeAtomically(config, conflist(network, node, mtu), "rw-r--r--");
        return new Installed(plugin, config, cached);
    }

    /** Removes what {@link #install} wrote; returns the paths removed. */
    public static List<Path> uninstall(final Path binDirectory, final Path confDirectory) throws IOException
    {
        final List<Path> removed = new ArrayList<>();
        for (final Path path : List.of(binDirectory.resolve(PLUGIN), binDirectory.resolve(SUPPORT_DIRECTORY).resolve(JAR),
            binDirectory.resolve(SUPPORT_DIRECTORY).resolve(CACHE), binDirectory.resolve(SUPPORT_DIRECTORY),
            confDirectory.resolve(CONFIG_FILE)))
        {
            if (Files.deleteIfExists(path))
            {
                removed.add(path);
            }
        }
        return removed;
    }

    static String conflist(final String network, final String node, final int mtu)
    {
        // 1.0.0: what every runtime (and Debian's cnitool) speaks; 1.1.0 callers are answered in 1.1.0.
        return "{\n  \"cniVersion\": \"1.0.0\",\n  \"name\": " + CniVersions.quote(network) + ",\n  \"plugins\": [\n"
            + "    {\"type\": \"podswitch\"" + (node == null ? "" : ", \"node\": " + CniVersions.quote(node))
            + (mtu > 0 ? ", \"mtu\": " + mtu : "") + "}\n"
            + "  ]\n}\n";
    }

    /**
     * The plugin script. Each path reaches the JVM as one word, whatever it holds (spaces, quotes,
     * {@code $}, newlines); in the comment the socket is written JSON-escaped, so a newline in it
     * cannot end the comment and start a command.
     */
    static String wrapper(final Path java, final Path jar, final Path cache, final Path socket)
    {
        return "#!/bin/sh\n"
            + "# podswitch CNI plugin: a thin client of the node agent (podswitch agent) on "
            + CniVersions.quote(socket.toString()) + ".\n"
            + "# Written by `podswitch cni install`; `podswitch cni uninstall` removes it.\n"
            + "exec " + shellWord(java.toString()) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -XX:-UsePerfData"
            + (cache == null ? "" : " " + shellWord("-XX:AOTCache=" + cache))
            + " " + shellWord("-Dpodswitch.cni.socket=" + socket) + " -cp " + shellWord(jar.toString())
            + " " + PluginClient.class.getName() + "\n";
    }

    /** {@code text} as one sh word: single-quoted, where nothing is special but {@code '}, written {@code '\''}. */
    static String shellWord(final String text)
    {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    /**
     * A training run of the client (a VERSION call and an ADD to an agent that is not there, which
     * between them load every class a call needs) records the AOT cache; false when the JVM cannot.
     */
    private static boolean train(final Path java, final Path jar, final Path cache, final Path socket)
        throws IOException, InterruptedException
    {
        Files.deleteIfExists(cache);
        final Path unreachable = Files.createTempDirectory("psw-cni-train").resolve("no-agent.sock");
        final ProcessBuilder training = new ProcessBuilder(java.toString(), "-XX:AOTCacheOutput=" + cache,
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-XX:-UsePerfData",
            "-Dpodswitch.cni.socket=" + unreachable, "-cp", jar.toString(), PluginClient.class.getName())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        training.environment().put("CNI_COMMAND", "ADD");
        final Process process = training.start();
        try (OutputStream stdin = process.getOutputStream())
        {
            stdin.write("{\"cniVersion\":\"1.0.0\",\"name\":\"training\"}".getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return false;
        }
        Files.deleteIfExists(unreachable.getParent());
        return Files.exists(cache);
    }

    /** Written whole, with its permissions, before it appears under its name: a runtime never sees less. */
    private static void writeAtomically(final Path file, final String content, final String permissions)
        throws IOException
    {
        AtomicFiles.write(file, content.getBytes(StandardCharsets.UTF_8), permissions);
    }
}
