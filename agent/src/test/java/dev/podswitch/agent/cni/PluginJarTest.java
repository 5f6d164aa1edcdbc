package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.PluginClient;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jar {@code podswitch cni install} gives runtimes is the cni-plugin module whole, and the
 * module stays JDK-only: its classes are all in {@code dev.podswitch.cni}, jdeps finds nothing they
 * need outside the JDK, and {@code java -cp} that jar, with no other, runs the plugin. Both places
 * the module is found in are covered: a jar (copied byte for byte) and a classes directory
 * (jarred file by file, so a class or resource the client gains is installed with no list to edit).
 */
class PluginJarTest
{
    private static final String PACKAGE_DIRECTORY = PluginClient.class.getPackageName().replace('.', '/') + "/";

    @TempDir
    static Path installation;
    private static Path installedJar;

    @BeforeAll
    static void install() throws Exception
    {
        final Path bin = installation.resolve("bin");
        CniInstaller.install(bin, installation.resolve("net.d"), installation.resolve("agent.sock"), "podnet", null,
            Path.of(System.getProperty("java.home")));
        installedJar = bin.resolve(CniInstaller.SUPPORT_DIRECTORY).resolve(CniInstaller.JAR);
    }

    @Test
    void shouldInstallOnlyClassesOfThePluginPackage() throws IOException
    {
        final List<String> classes = classEntries(installedJar);

        assertTrue(classes.contains(PACKAGE_DIRECTORY + "PluginClient.class"), classes.toString());
        assertEquals(List.of(), classes.stream().filter(name -> !name.startsWith(PACKAGE_DIRECTORY)).toList(),
            "classes of other packages in the plugin jar: the cni-plugin module must hold only the client");
    }

    @Test
    void shouldNeedNothingBeyondTheJdkWhenJdepsReadsTheInstalledJar()
    {
        final ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

        // Alone on jdeps' class path, any class the jar refers to outside the JDK is "not found", exit 1.
        final int status = jdeps.run(out, out, "--print-module-deps", installedJar.toString());

        assertEquals(0, status, "the cni-plugin module must depend on the JDK only (cni-plugin/pom.xml has no "
            + "dependencies); jdeps says:\n" + printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRunThePluginFromTheInstalledJarAloneWithNoOtherClassPath() throws Exception
    {
        final List<String> plugin = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
            installedJar.toString(), PluginClient.class.getName());

        final PluginProcess.Result version = PluginProcess.run(plugin, Map.of("CNI_COMMAND", "VERSION"),
            "{\"cniVersion\":\"1.0.0\"}");
        // ADD reaches for the agent: the socket and wire classes load too.
        final PluginProcess.Result add = PluginProcess.run(plugin, Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1",
            "CNI_NETNS", "/var/run/netns/none", "CNI_IFNAME", "eth0", "CNI_PATH", "/opt/cni/bin"),
            "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\",\"type\":\"podswitch\"}");

        assertEquals(0, version.exitStatus(), version.toString());
        assertEquals(CniVersions.SUPPORTED, HandlerFixture.texts(version.json().path("supportedVersions")));
        assertEquals(1, add.exitStatus(), add.toString());
        assertEquals(CniVersions.TRY_AGAIN_LATER, add.json().path("code").asInt(), add.toString());
        assertEquals("", add.stderr(), "no class missing, no JVM warning");
    }

    @Test
    void shouldJarEveryFileOfAClassesDirectoryWhenThePluginIsLoadedFromOne(@TempDir final Path directory)
        throws Exception
    {
        final Path classes = directory.resolve("classes");
        copyPluginModule(classes);
        // What a later client might gain: a class nobody lists anywhere, and a resource.
        Files.write(classes.resolve(PACKAGE_DIRECTORY + "Later$Nested.class"), new byte[] {(byte)0xCA, (byte)0xFE});
        Files.writeString(classes.resolve(PACKAGE_DIRECTORY + "messages.properties"), "greeting=hello\n");
        final Path jar = directory.resolve("plugin.jar");

        PluginJar.write(classes, jar);

        final List<String> files;
        try (Stream<Path> walk = Files.walk(classes))
        {
            files = walk.filter(Files::isRegularFile).map(file -> classes.relativize(file).toString())
                .filter(name -> !name.equals("META-INF/MANIFEST.MF")).sorted().toList();
        }
        final List<String> entries = entries(jar);
        assertEquals("META-INF/MANIFEST.MF", entries.getFirst(), "where a jar's manifest must be");
        assertEquals(files, entries.subList(1, entries.size()));
        try (ZipFile zip = new ZipFile(jar.toFile()))
        {
            final ZipEntry resource = zip.getEntry(PACKAGE_DIRECTORY + "messages.properties");
            assertEquals("greeting=hello\n", new String(zip.getInputStream(resource).readAllBytes(), StandardCharsets.UTF_8));
        }
        try (Stream<Path> left = Files.list(directory))
        {
            assertEquals(List.of(), left.filter(path -> path.toString().endsWith(".tmp")).toList(), "no temp file left");
        }
    }

    @Test
    void shouldCopyTheModuleJarByteForByteWhenThePluginIsLoadedFromOne(@TempDir final Path directory) throws Exception
    {
        final Path classes = directory.resolve("classes");
        copyPluginModule(classes);
        final Path moduleJar = directory.resolve("podswitch-cni-plugin-0.1.0.jar");
        PluginJar.write(classes, moduleJar);
        final Path jar = directory.resolve("plugin.jar");

        PluginJar.write(moduleJar, jar);

        assertEquals(-1, Files.mismatch(moduleJar, jar));
    }

    /** The cni-plugin module as a classes directory, from wherever this JVM loaded it (its jar or its classes). */
    private static void copyPluginModule(final Path into) throws IOException
    {
        final Path source = PluginJar.codeSource();
        if (Files.isDirectory(source))
        {
            copyTree(source, into);
        }
        else
        {
            try (FileSystem jar = FileSystems.newFileSystem(source))
            {
                copyTree(jar.getPath("/"), into);
            }
        }
    }

    private static void copyTree(final Path from, final Path into) throws IOException
    {
        try (Stream<Path> walk = Files.walk(from))
        {
            for (final Path file : walk.filter(Files::isRegularFile).toList())
            {
                final Path target = into.resolve(from.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target);
            }
        }
    }

    private static List<String> entries(final Path jar) throws IOException
    {
        try (ZipFile zip = new ZipFile(jar.toFile()))
        {
            return zip.stream().filter(entry -> !entry.isDirectory()).map(ZipEntry::getName).toList();
        }
    }

    private static List<String> classEntries(final Path jar) throws IOException
    {
        return entries(jar).stream().filter(name -> name.endsWith(".class")).toList();
    }
}
