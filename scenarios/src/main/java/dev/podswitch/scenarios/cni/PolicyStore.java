package dev.podswitch.scenarios.cni;

import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.scenarios.model.Manifest;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The NetworkPolicies applied to a running agent ({@code podswitch policy apply}), one manifest
 * file each in {@code policies/} of its state directory, so a restarted agent enforces them again
 * — as a real node agent would after re-reading them from the API server. Written to a temp file
 * and renamed; a delete removes the file. Driver thread only.
 */
final class PolicyStore
{
    static final String DIRECTORY = "policies";
    private final Path directory;
    private final Dump yaml = new Dump(DumpSettings.builder().build());

    PolicyStore(final Path stateDirectory)
    {
        this.directory = stateDirectory.resolve(DIRECTORY);
    }

    /** The files of the policies in force, in a stable order. */
    List<Path> files()
    {
        if (!Files.isDirectory(directory))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory))
        {
            return files.filter(file -> file.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(directory + ": " + failed.getMessage(), failed);
        }
    }

    void save(final NetworkPolicy policy, final Manifest manifest)
    {
        final Path file = fileOf(policy.key());
        try
        {
            Files.createDirectories(directory);
            AtomicFiles.write(file, yaml.dumpToString(manifest.body()).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "rw-------");
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(file + ": cannot keep the policy: " + failed.getMessage(), failed);
        }
    }

    void delete(final String key)
    {
        try
        {
            Files.deleteIfExists(fileOf(key));
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(fileOf(key) + ": " + failed.getMessage(), failed);
        }
    }

    /** {@code namespace/name} → {@code namespace_name.yaml}: both are DNS labels, so the name is unique and safe. */
    private Path fileOf(final String key)
    {
        return directory.resolve(key.replace('/', '_') + ".yaml");
    }
}
