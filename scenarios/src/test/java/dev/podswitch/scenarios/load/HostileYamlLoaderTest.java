package dev.podswitch.scenarios.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * YAML built to hurt a loader — a value that contains itself, a billion laughs that stays under
 * snakeyaml's cap of 50 aliases, nesting tens of thousands of levels deep, a file of gigabytes —
 * is an ordinary located error (file, line, field), as any other invalid input: never a
 * StackOverflowError or an OutOfMemoryError. Real files stay far inside the limits.
 */
class HostileYamlLoaderTest
{
    private static final String POLICY_HEAD = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: default}
        """;

    @TempDir
    Path dir;

    @Test
    void shouldNameFileLineAndFieldWhenAnAliasRefersToTheValueAroundIt()
    {
        final Path file = ScenarioFiles.write(dir, "loop.yaml", POLICY_HEAD + "spec: {podSelector: &s {x: *s}}\n");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "loop.yaml", 4, 25, "spec.podSelector.x", "recursive alias *s", "contains itself");
    }

    @Test
    void shouldRefuseARecursiveAliasInAScenarioFileToo()
    {
        final ScenarioException ex = ScenarioFiles.loadFailure(dir,
            "name: loop",
            "cluster: &c {nodes: [n1], again: *c}",
            "steps: []");

        assertError(ex, "scenario.yaml", 2, 27, "cluster.again", "recursive alias *c");
    }

    @Test
    void shouldRefuseABillionLaughsThatStaysUnderTheAliasCap()
    {
        // 16 levels of 3 aliases: 48 aliases (snakeyaml allows 50) standing for 3^16 ≈ 43 million values.
        final StringBuilder text = new StringBuilder(POLICY_HEAD).append("spec:\n  podSelector: {}\n  l0: &l0 [lol]\n");
        for (int level = 1; level <= 16; level++)
        {
            text.append("  l").append(level).append(": &l").append(level).append(" [");
            for (int i = 0; i < 3; i++)
            {
                text.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
            }
            text.append("]\n");
        }
        final Path file = ScenarioFiles.write(dir, "laughs.yaml", text.toString());

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertEquals("laughs.yaml", ex.file().getFileName().toString());
        assertTrue(ex.line() >= 5, ex.getMessage());
        assertTrue(ex.fieldPath().startsWith("spec.l"), ex.getMessage());
        assertTrue(ex.getMessage().contains("more than " + YamlLimits.MAX_VALUES + " values once its aliases are expanded"),
            ex.getMessage());
    }

    @Test
    void shouldRefuseNestingTensOfThousandsOfLevelsDeepAtTheLevelPastTheLimit()
    {
        final int levels = 50_000;
        final Path file = ScenarioFiles.write(dir, "deep.yaml", POLICY_HEAD + "spec: {podSelector: {}, deep: "
            + "[".repeat(levels) + "]".repeat(levels) + "}\n");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        // The document is level 1, spec 2, deep's first list 3 (at column 31): level 65 is its 63rd list.
        assertError(ex, "deep.yaml", 4, 31 + YamlLimits.MAX_DEPTH - 2,
            "spec.deep" + "[0]".repeat(YamlLimits.MAX_DEPTH - 2), "nested deeper than " + YamlLimits.MAX_DEPTH + " levels");
    }

    @Test
    void shouldRefuseNestingThatOnlyAliasesMakeTooDeep()
    {
        // 40 levels written under an anchor, used 40 levels down: 80 levels once expanded.
        final String forty = "[".repeat(40) + "x" + "]".repeat(40);
        final Path file = ScenarioFiles.write(dir, "stacked.yaml", POLICY_HEAD + "spec:\n  podSelector: {}\n"
            + "  a: &a " + forty + "\n  b: " + "[".repeat(40) + "*a" + "]".repeat(40) + "\n");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertEquals(6, ex.line(), ex.getMessage());
        assertTrue(ex.fieldPath().startsWith("spec.b[0]"), ex.getMessage());
        assertTrue(ex.getMessage().contains("once aliases are expanded"), ex.getMessage());
    }

    @Test
    void shouldRefuseAFileLargerThanSnakeyamlReadsWithoutReadingItWhole() throws IOException
    {
        final Path file = dir.resolve("huge.yaml");
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw"))
        {
            // 3 GiB: more than a Java array holds, so reading it whole fails with an OutOfMemoryError.
            sparse.setLength(3L << 30);
        }

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertTrue(ex.getMessage().contains("larger than 3 MiB"), ex.getMessage());
        assertEquals(0, ex.line());
    }

    @Test
    void shouldLoadEveryLibraryScenarioWellInsideTheLimits() throws Exception
    {
        final List<Path> files = new ArrayList<>();
        try (var walk = java.nio.file.Files.walk(Path.of("library")))
        {
            walk.filter(path -> path.toString().endsWith(".yaml")).forEach(files::add);
        }
        assertTrue(files.size() > 10, "the library is there: " + files);
        for (final Path file : files)
        {
            if (ScenarioLoader.looksLikeManifestFile(file))
            {
                ScenarioLoader.loadManifests(file);
            }
            else
            {
                ScenarioLoader.load(file);
            }
        }
    }
}
