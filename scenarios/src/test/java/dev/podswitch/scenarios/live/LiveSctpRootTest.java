package dev.podswitch.scenarios.live;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.ScenarioRunner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SCTP through a live lab: INIT ACK from a served port (with the prober's own IP seen), ABORT from
 * a closed one, and nothing once a NetworkPolicy drops the INIT — the emulated mode's answers.
 * Needs root, /dev/net/tun and iproute2: skips with the reason elsewhere, fails under CI=true.
 */
@Tag("root")
class LiveSctpRootTest
{
    private static final String SCENARIO = """
        name: live SCTP — served, refused, denied
        namespaces:
          default: {}
        pods:
          - {name: server, namespace: default, labels: {role: server}, ports: [{containerPort: 3868, protocol: SCTP}]}
          - {name: client, namespace: default, labels: {role: client}}
          - {name: other, namespace: default, labels: {role: other}}
        steps:
          - name: no policy
            expect:
              - {from: default/client, to: default/server, protocol: SCTP, port: 3868, allowed: true}
              - {from: default/client, to: default/server, protocol: SCTP, port: 3869, allowed: true}
          - name: server accepts SCTP 3868 from the client only
            manifests: |
              apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {name: server-policy, namespace: default}
              spec:
                podSelector: {matchLabels: {role: server}}
                policyTypes: [Ingress]
                ingress:
                - from: [{podSelector: {matchLabels: {role: client}}}]
                  ports: [{protocol: SCTP, port: 3868}]
            expect:
              - {from: default/client, to: default/server, protocol: SCTP, port: 3868, allowed: true}
              - {from: default/other, to: default/server, protocol: SCTP, port: 3868, allowed: false}
              - {from: default/client, to: default/server, protocol: SCTP, port: 3869, allowed: false}
        """;

    @BeforeAll
    static void requireLiveLab()
    {
        final String missing = LiveSupport.unavailableReason();
        if (missing != null && "true".equals(System.getenv("CI")))
        {
            fail("CI=true: the live tests must run, but " + missing);
        }
        assumeTrue(missing == null, () -> "root test skipped: " + missing);
    }

    @Test
    void shouldOpenRefuseAndDenySctpLiveAsTheEmulatedModeDoes(@TempDir final Path directory) throws Exception
    {
        final Path file = directory.resolve("live-sctp.yaml");
        Files.writeString(file, SCENARIO);
        final Scenario scenario = ScenarioLoader.load(file);
        LiveSupport.requireSupported(scenario);

        final ScenarioResult live = new ScenarioRunner(ClusterOptions.Underlay.MEMORY, LiveMode.threads(scenario, 0),
            IdleMode.BLOCKING, RunListener.NONE).withEndpoints(LiveEndpoints::new).run(scenario);
        final ScenarioResult emulated = new ScenarioRunner(ClusterOptions.Underlay.MEMORY, RunListener.NONE).run(scenario);

        assertEquals(List.of("open 10.244.0.3", "refused 10.244.0.3"), answers(live, 0));
        assertEquals(List.of("open 10.244.0.3", "none null", "none null"), answers(live, 1));
        assertEquals(answers(emulated, 0), answers(live, 0));
        assertEquals(answers(emulated, 1), answers(live, 1));
        assertEquals(0, live.mismatches(), "every expectation held live");
    }

    /** "answer sourceIpSeen" of every probe of a step. */
    private static List<String> answers(final ScenarioResult result, final int step)
    {
        return result.steps().get(step).probes().stream().map(probe -> probe.answer() + " " + probe.sourceIpSeen())
            .toList();
    }
}
