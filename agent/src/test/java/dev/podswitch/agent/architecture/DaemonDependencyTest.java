package dev.podswitch.agent.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A daemon never depends on a tool: nothing in the agent module — main or test sources — names
 * the scenario runner or the command line, by import or by a fully qualified name. (The Maven
 * dependencies already forbid it at compile time; this says why when someone adds one.)
 */
class DaemonDependencyTest
{
    private static final Pattern FORBIDDEN = Pattern.compile("\\bdev\\.podswitch\\.(scenarios|cli|bench)\\b");

    @Test
    void shouldNeverNameTheScenarioRunnerOrTheCommandLine() throws IOException
    {
        final List<String> found = new ArrayList<>();
        for (final String root : List.of("src/main/java", "src/test/java"))
        {
            final Path sources = Path.of(root);
            assertTrue(Files.isDirectory(sources) || root.contains("test"), "run from the agent module");
            if (!Files.isDirectory(sources))
            {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources))
            {
                for (final Path file : files.filter(path -> path.toString().endsWith(".java")).toList())
                {
                    final List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++)
                    {
                        final Matcher matcher = FORBIDDEN.matcher(lines.get(i));
                        if (matcher.find() && !lines.get(i).strip().startsWith("*") && !lines.get(i).strip().startsWith("//"))
                        {
                            found.add(file + ":" + (i + 1) + ": " + lines.get(i).strip());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }
}
