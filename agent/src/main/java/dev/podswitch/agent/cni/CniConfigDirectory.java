package dev.podswitch.agent.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The CNI config directory read the way container runtimes read it (containerd, CRI-O through
 * libcni): the files ending in {@code .conflist}, {@code .conf} or {@code .json}, in lexical order
 * of their names; the first one is the network config in force — the others are ignored, however
 * valid. A first file that does not parse, or lacks what the spec requires, is an error that names
 * it (the runtime would fail every pod), never silently skipped.
 */
public final class CniConfigDirectory
{
    public static final Path DEFAULT = Path.of("/etc/cni/net.d");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The config in force. {@code plugins} lists the plugin types in order; a {@code .conf} has one. */
    public record InForce(Path file, String name, String cniVersion, List<String> plugins, List<Path> ignored)
    {
        public boolean podswitchFirst()
        {
            return !plugins.isEmpty() && plugins.getFirst().equals("podswitch");
        }
    }

    /** A first file that cannot be used: its path and why. */
    public static final class InvalidConfig extends Exception
    {
        private final Path file;

        InvalidConfig(final Path file, final String why)
        {
            super(file + ": " + why);
            this.file = file;
        }

        public Path file()
        {
            return file;
        }
    }

    private CniConfigDirectory()
    {
    }

    /** Config files in the order a runtime considers them. */
    public static List<Path> candidates(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory))
        {
            return files.filter(Files::isRegularFile).filter(CniConfigDirectory::hasConfigExtension)
                .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
    }

    /** Case-sensitive, as libcni's {@code ConfFiles} compares extensions: runtimes ignore {@code X.CONFLIST}. */
    private static boolean hasConfigExtension(final Path file)
    {
        final String name = file.getFileName().toString();
        return name.endsWith(".conflist") || name.endsWith(".conf") || name.endsWith(".json");
    }

    /**
     * The config in force, or null when the directory has none.
     *
     * @throws InvalidConfig naming the first file when it cannot be used.
     */
    public static InForce inForce(final Path directory) throws IOException, InvalidConfig
    {
        final List<Path> candidates = candidates(directory);
        if (candidates.isEmpty())
        {
            return null;
        }
        final Path first = candidates.getFirst();
        final JsonNode config;
        try
        {
            config = JSON.readTree(first.toFile());
        }
        catch (final JsonProcessingException bad)
        {
            throw new InvalidConfig(first, "not JSON: " + bad.getOriginalMessage() + " at line "
                + bad.getLocation().getLineNr() + ", column " + bad.getLocation().getColumnNr());
        }
        if (config == null || !config.isObject())
        {
            throw new InvalidConfig(first, "not a JSON object");
        }
        final String name = config.path("name").asText("");
        if (name.isEmpty())
        {
            throw new InvalidConfig(first, "no \"name\"");
        }
        final String version = config.path("cniVersion").asText("");
        final List<String> plugins = new ArrayList<>();
        if (first.getFileName().toString().endsWith(".conflist"))
        {
            final JsonNode list = config.get("plugins");
            if (list == null || !list.isArray() || list.isEmpty())
            {
                throw new InvalidConfig(first, "a .conflist needs a non-empty \"plugins\" list");
            }
            for (int i = 0; i < list.size(); i++)
            {
                final String type = list.get(i).path("type").asText("");
                if (type.isEmpty())
                {
                    throw new InvalidConfig(first, "plugins[" + i + "] has no \"type\"");
                }
                plugins.add(type);
            }
        }
        else
        {
            final String type = config.path("type").asText("");
            if (type.isEmpty())
            {
                throw new InvalidConfig(first, "a single-plugin config needs a \"type\"");
            }
            plugins.add(type);
        }
        return new InForce(first, name, version, List.copyOf(plugins), candidates.subList(1, candidates.size()));
    }
}
