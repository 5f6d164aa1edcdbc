package dev.podswitch.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering of DESIGN.md, checked: the data plane never imports the control plane or the
 * policy engine (it reads the immutable tables they publish), and the policy engine never imports
 * the control plane.
 */
class PackageDependencyTest
{
    private static final Path SOURCES = Path.of("src/main/java/dev/podswitch");

    private static List<String> violations(final String packageDir, final String... forbidden) throws IOException
    {
        final List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES.resolve(packageDir)))
        {
            for (final Path file : files.filter(path -> path.toString().endsWith(".java")).toList())
            {
                for (final String line : Files.readAllLines(file))
                {
                    for (final String prefix : forbidden)
                    {
                        if (line.startsWith("import " + prefix) || line.startsWith("import static " + prefix))
                        {
                            found.add(SOURCES.relativize(file) + ": " + line);
                        }
                    }
                }
            }
        }
        return found;
    }

    @Test
    void shouldKeepTheDataPlaneFreeOfControlPlaneAndPolicyModelImports() throws IOException
    {
        assertTrue(Files.isDirectory(SOURCES.resolve("dataplane")), "run from the switch module");
        assertEquals(List.of(), violations("dataplane", "dev.podswitch.control", "dev.podswitch.policy"));
    }

    @Test
    void shouldKeepThePolicyEngineFreeOfControlPlaneImports() throws IOException
    {
        assertEquals(List.of(), violations("policy", "dev.podswitch.control"));
    }
}
