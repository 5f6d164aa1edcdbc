package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Scenario;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every scenario shipped under scenarios/library must pass, over both underlays; a selection of
 * them, covering many nodes, pod churn, hosts and policy changes between steps, also with the
 * nodes on two agent threads.
 */
class ScenarioLibraryTest
{
    static Stream<Arguments> libraryScenarios() throws IOException
    {
        final List<Path> files;
        final Path library = Path.of("library");
        try (Stream<Path> listing = Files.walk(library))
        {
            // manifests/ holds Kubernetes manifests that scenarios apply, not scenarios.
            files = listing.filter(path -> path.toString().endsWith(".yaml"))
                .filter(path -> !path.getParent().endsWith("manifests")).sorted().toList();
        }
        assertTrue(files.size() >= 25, "the library should hold the base and the policy scenarios, found " + files);
        return files.stream().flatMap(file -> Stream.of(ClusterOptions.Underlay.values())
            .map(underlay -> Arguments.of(library.relativize(file).toString(), underlay)));
    }

    /** Picked to exercise threading: the most nodes and pods, pods coming and going, hosts, relabels. */
    private static final List<String> THREADED = List.of("three-nodes-many-pods.yaml", "pods-added-and-deleted.yaml",
        "external-hosts.yaml", "policy/01-notes-db-policy.yaml", "policy/18-allow-external-traffic.yaml",
        "policy/30-relabel.yaml", "policy/31-sctp.yaml");

    static Stream<Arguments> threadedScenarios()
    {
        return THREADED.stream().flatMap(file -> Stream.of(ClusterOptions.Underlay.values())
            .map(underlay -> Arguments.of(file, underlay)));
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("libraryScenarios")
    void shouldPassEveryExpectationWhenRunningTheLibrary(final String fileName, final ClusterOptions.Underlay underlay)
        throws Exception
    {
        check(fileName, new ScenarioRunner(underlay, RunListener.NONE));
    }

    @ParameterizedTest(name = "{0} over {1}, 2 threads")
    @MethodSource("threadedScenarios")
    void shouldPassEveryExpectationWhenNodesRunOnTwoThreads(final String fileName,
        final ClusterOptions.Underlay underlay) throws Exception
    {
        check(fileName, new ScenarioRunner(underlay, 2, IdleMode.BLOCKING, RunListener.NONE));
    }

    private static void check(final String fileName, final ScenarioRunner runner) throws Exception
    {
        final Scenario scenario = ScenarioLoader.load(Path.of("library", fileName));
        final ScenarioResult result = runner.run(scenario);

        assertEquals(scenario.steps().size(), result.steps().size());
        assertTrue(result.probeCount() > 0, "a scenario that probes nothing proves nothing");
        for (final StepResult step : result.steps())
        {
            for (final ProbeOutcome probe : step.probes())
            {
                assertFalse(probe.isMismatch(), fileName + " step '" + step.name() + "': " + probe);
                if (probe.observed())
                {
                    assertEquals(probe.sourceIp(), probe.sourceIpSeen(), "no NAT: " + probe);
                }
            }
        }
        final ScenarioResult.DataplaneSummary frames = result.dataplane();
        final long dropped = frames.drops().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(frames.received(), frames.forwarded() + frames.answered() + dropped, "frame accounting");
    }
}
