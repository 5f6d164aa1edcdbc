package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.Scenario;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads scenario files (docs: SCENARIOS.md) and Kubernetes manifest files into the immutable model,
 * checking everything that can be checked without running: syntax, fields, values, and that every
 * name a step uses exists at that step. The first problem found is thrown with its file, line,
 * column and field path. Stateless; safe to call from any thread.
 */
public final class ScenarioLoader
{
    private ScenarioLoader()
    {
    }

    public static Scenario load(final Path file) throws ScenarioException
    {
        return ScenarioReader.read(file);
    }

    /** Every manifest of a standalone manifest file, as {@code podswitch validate} checks them. */
    public static List<Manifest> loadManifests(final Path file) throws ScenarioException
    {
        final String text = YamlDocuments.read(file, "manifest file");
        final List<Manifest> manifests = new ArrayList<>();
        for (final ManifestReader.Read read : ManifestReader.read(text, Origin.ofFile(file, text), "", ""))
        {
            manifests.add(read.manifest());
        }
        return manifests;
    }

    /**
     * Whether {@code file} holds Kubernetes manifests rather than a scenario: its first document is a
     * mapping with {@code apiVersion} or {@code kind} at the top. A file that cannot be read or
     * parsed counts as a scenario, so that loading it reports the problem.
     */
    public static boolean looksLikeManifestFile(final Path file)
    {
        try
        {
            final String text = YamlDocuments.read(file, "file");
            final List<Node> documents = YamlDocuments.composeAll(text, Origin.ofFile(file, text));
            if (!documents.isEmpty() && documents.getFirst() instanceof MappingNode mapping)
            {
                for (final NodeTuple tuple : mapping.getValue())
                {
                    if (tuple.getKeyNode() instanceof ScalarNode key &&
                        ("apiVersion".equals(key.getValue()) || "kind".equals(key.getValue())))
                    {
                        return true;
                    }
                }
            }
            return false;
        }
        catch (final ScenarioException ex)
        {
            return false;
        }
    }
}
