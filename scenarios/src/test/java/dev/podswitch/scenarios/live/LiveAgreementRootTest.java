package dev.podswitch.scenarios.live;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.ScenarioRunner;
import dev.podswitch.scenarios.run.StepResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code run --live} gives the emulated mode's verdicts, probe by probe: library scenarios —
 * policies applied and deleted, relabels, pods added and deleted, external hosts, ICMP, and every
 * library scenario that probes SCTP (served, refused with ABORT, denied; on a kernel without SCTP
 * through the userspace responder) — run once emulated and once with live namespaces and real
 * sockets. Needs root, /dev/net/tun, iproute2 and ping: skips with the reason elsewhere, fails
 * under CI=true. SCTP is never skipped: a machine where live SCTP cannot work fails the test.
 */
@Tag("root")
class LiveAgreementRootTest
{
    @BeforeAll
    static void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason() != null ? LiveSupport.unavailableReason()
            : LiveProbes.pingMissing();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"demo.yaml", "external-hosts.yaml", "pods-added-and-deleted.yaml",
        "policy/01-notes-db-policy.yaml", "policy/04-notes-egress.yaml", "policy/30-relabel.yaml",
        "policy/32-icmp.yaml",
        // The SCTP scenarios of the library (grep SCTP library): INIT ACK, ABORT and denied INITs live.
        "one-node.yaml", "two-nodes.yaml", "policy/05-default-allow-all.yaml", "policy/06-replies-without-egress.yaml",
        "policy/31-sctp.yaml"})
    void shouldGiveTheEmulatedVerdictsProbeByProbeWhenRunLive(final String fileName) throws Exception
    {
        final Scenario scenario = ScenarioLoader.load(Path.of("library").resolve(fileName));
        LiveSupport.requireSupported(scenario);
        final ScenarioResult emulated = new ScenarioRunner(ClusterOptions.Underlay.MEMORY, RunListener.NONE).run(scenario);

        final Set<String> made = new LinkedHashSet<>();
        final ScenarioResult live = new ScenarioRunner(ClusterOptions.Underlay.UDP, LiveMode.threads(scenario, 0),
            IdleMode.BLOCKING, RunListener.NONE)
            .withEndpoints(cluster -> new LiveEndpoints(cluster, endpoints -> made.addAll(endpoints.namespaces())))
            .run(scenario);

        assertEquals(emulated.steps().size(), live.steps().size());
        final List<String> differences = new ArrayList<>();
        int probes = 0;
        for (int s = 0; s < emulated.steps().size(); s++)
        {
            final StepResult expected = emulated.steps().get(s);
            final StepResult actual = live.steps().get(s);
            assertEquals(expected.probes().size(), actual.probes().size(), "probes in step " + expected.name());
            for (int p = 0; p < expected.probes().size(); p++)
            {
                probes++;
                final ProbeOutcome e = expected.probes().get(p);
                final ProbeOutcome a = actual.probes().get(p);
                assertEquals(e.from() + e.to() + e.probeLabel(), a.from() + a.to() + a.probeLabel(), "same probe order");
                if (e.observed() != a.observed() || !e.answer().equals(a.answer())
                    || !e.sourceIp().equals(a.sourceIp()))
                {
                    differences.add(expected.name() + ": " + e.from() + " → " + e.to() + " " + e.probeLabel()
                        + ": emulated " + e.answer() + "/" + e.observed() + " from " + e.sourceIp()
                        + ", live " + a.answer() + "/" + a.observed() + " from " + a.sourceIp() + " seen " + a.sourceIpSeen());
                }
                if (a.observed())
                {
                    assertEquals(a.sourceIp(), a.sourceIpSeen(), "no NAT live: " + a);
                }
            }
        }
        assertTrue(differences.isEmpty(), () -> differences.size() + " of the probes differ:\n  "
            + String.join("\n  ", differences));
        assertTrue(probes > 0, "the scenario probed something");
        assertEquals(emulated.mismatches(), live.mismatches());
        assertTrue(!made.isEmpty(), "the live run made namespaces");
        final List<String> left = LiveLab.leftoverNamespaces().stream().filter(made::contains).toList();
        assertEquals(List.of(), left, "every namespace the live run made is gone");
    }
}
