package dev.podswitch.agent.cni;

import dev.podswitch.agent.state.AtomicFiles;
import dev.podswitch.cni.PluginClient;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.CodeSource;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * The jar the installed plugin runs on: the cni-plugin module whole, taken from where this JVM
 * loaded {@link PluginClient}. The module's jar (the launcher's {@code cli/target/lib}, a Maven
 * repository) is copied as it is; its classes directory (a build tree: tests, an IDE) is jarred
 * file by file, resources included. There is no list of classes to keep up: what the module holds
 * is what runtimes run, and the module holds only the JDK-only client ({@code PluginJarTest}
 * checks the installed jar needs nothing else).
 */
final class PluginJar
{
    private PluginJar()
    {
    }

    /** The cni-plugin module's jar or classes directory, as this JVM found it on its class path. */
    static Path codeSource() throws IOException
    {
        final CodeSource source = PluginClient.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null)
        {
            throw new IOException("cannot tell where " + PluginClient.class.getName() + " was loaded from; "
                + "run install with the podswitch-cni-plugin jar or its classes directory on the class path");
        }
        try
        {
            return Path.of(source.getLocation().toURI());
        }
        catch (final URISyntaxException | IllegalArgumentException | FileSystemNotFoundException notAFile)
        {
            throw new IOException(PluginClient.class.getName() + " was loaded from " + source.getLocation()
                + ", which is not a jar or directory of its own; run install with the podswitch-cni-plugin jar "
                + "or its classes directory on the class path", notAFile);
        }
    }

    /** Writes {@code jar} from {@code codeSource} (a jar or a classes directory) through a temp file renamed over it. */
    static void write(final Path codeSource, final Path jar) throws IOException
    {
        final Path temp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try
        {
            if (Files.isDirectory(codeSource))
            {
                jarDirectory(codeSource, temp);
            }
            else if (Files.isRegularFile(codeSource))
            {
                Files.copy(codeSource, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            else
            {
                throw new IOException("the plugin's classes are not at " + codeSource + " (no such jar or directory)");
            }
            AtomicFiles.move(temp, jar);
        }
        finally
        {
            // Left behind, it would keep uninstall from removing the support directory.
            Files.deleteIfExists(temp);
        }
    }

    /** Every file under {@code directory}, in name order; its own manifest if it has one. */
    private static void jarDirectory(final Path directory, final Path jar) throws IOException
    {
        final Path manifestFile = directory.resolve(JarFile.MANIFEST_NAME);
        final Manifest manifest = new Manifest();
        if (Files.isRegularFile(manifestFile))
        {
            try (InputStream in = Files.newInputStream(manifestFile))
            {
                manifest.read(in);
            }
        }
        else
        {
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        }
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(directory))
        {
            files = walk.filter(Files::isRegularFile).filter(file -> !file.equals(manifestFile)).sorted().toList();
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest))
        {
            for (final Path file : files)
            {
                out.putNextEntry(new ZipEntry(entryName(directory.relativize(file))));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }

    /** A jar entry's name: the relative path with '/' between its parts, whatever the file system's separator. */
    private static String entryName(final Path relative)
    {
        final StringBuilder name = new StringBuilder();
        for (final Path part : relative)
        {
            name.append(name.isEmpty() ? "" : "/").append(part);
        }
        return name.toString();
    }
}
