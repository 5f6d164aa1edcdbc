package dev.podswitch.architecture;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering of docs/architecture.md, checked on every reference in code (imports, static
 * imports and fully qualified names): the data plane never uses the control plane or the policy
 * engine (it reads the immutable tables they publish), the policy engine never uses the control
 * plane, {@code util} uses nothing of ours, and no two packages of the module depend on each other
 * in a circle — every dependency points one way, so each package can be read, tested and changed
 * with only what lies below it.
 */
class PackageDependencyTest
{
    private static final Path SOURCES = Path.of("src/main/java");
    private static PackageGraph graph;

    @BeforeAll
    static void readSources() throws IOException
    {
        assertTrue(Files.isDirectory(SOURCES.resolve("dev/podswitch/dataplane")), "run from the switch module");
        graph = PackageGraph.of(SOURCES);
    }

    private static List<String> edges(final String fromPrefix, final String toPrefix)
    {
        return graph.edgesBetween(fromPrefix, toPrefix).stream()
            .map(edge -> edge.from() + " -> " + edge.to() + " at " + edge.firstAt())
            .toList();
    }

    @Test
    void shouldKeepTheDataPlaneFreeOfControlPlaneAndPolicyReferences()
    {
        assertEquals(List.of(), edges("dev.podswitch.dataplane", "dev.podswitch.control"));
        assertEquals(List.of(), edges("dev.podswitch.dataplane", "dev.podswitch.policy"));
    }

    @Test
    void shouldKeepThePolicyEngineFreeOfControlPlaneReferences()
    {
        assertEquals(List.of(), edges("dev.podswitch.policy", "dev.podswitch.control"));
    }

    @Test
    void shouldKeepUtilBelowEveryPlane()
    {
        assertEquals(List.of(), edges("dev.podswitch.util", "dev.podswitch"));
    }

    @Test
    void shouldFindNoCycleAmongThePackagesOfTheModule()
    {
        assertTrue(graph.packages().size() > 10, "read the module's packages: " + graph.packages());
        final String tangles = graph.tangles().stream().map(PackageGraph::describe).collect(Collectors.joining("\n"));
        assertEquals("", tangles, "package cycles (move a class, or invert a dependency through a small interface, so "
            + "that it points one way)");
    }
}
