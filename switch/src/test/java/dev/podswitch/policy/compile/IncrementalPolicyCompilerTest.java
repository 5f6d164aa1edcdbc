package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.Traffic;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.reference.PolicyFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * What an incremental update shares with the snapshot before it: the rules of pods a change does
 * not touch are the same objects, so a relabel costs one entry and the data plane's caches of
 * unchanged tables stay warm. Verdicts themselves are covered by IncrementalCompilerDifferentialTest.
 */
class IncrementalPolicyCompilerTest
{
    private static final Map<String, Map<String, String>> NAMESPACES = Map.of("default", Map.of());
    private static final PolicyEndpoint WEB = pod("default", "web", "10.244.0.2", labels("app", "web"));
    private static final PolicyEndpoint WEB2 = pod("default", "web2", "10.244.0.3", labels("app", "web"));
    private static final PolicyEndpoint DB = pod("default", "db", "10.244.0.4", labels("app", "db"));
    private static final NetworkPolicy DB_FROM_WEB = ingress("default", "db", matchLabels("app", "db"),
        rule(List.of(podPeer(matchLabels("app", "web"))), port(IpProtocol.TCP, 5432)));

    private static PolicyCluster clusterOf(final PolicyEndpoint... pods)
    {
        return cluster(NAMESPACES, List.of(pods), DB_FROM_WEB);
    }

    private static int toDb(final PolicyTable table, final PolicyEndpoint from)
    {
        return check(table, Traffic.of(from.ip(), DB.ip(), IpProtocol.TCP, 5432));
    }

    @Test
    void shouldReturnOneGenerationPerUpdateAndShareEverythingWhenNothingChanged()
    {
        final IncrementalPolicyCompiler compiler = new IncrementalPolicyCompiler(41);
        final PolicyTable first = compiler.update(clusterOf(WEB, DB));
        final PolicyTable second = compiler.update(clusterOf(WEB, DB));
        assertEquals(42, first.generation());
        assertEquals(43, second.generation());
        assertSame(first.rulesFor(DB.ip()), second.rulesFor(DB.ip()));
        assertSame(first.rulesFor(WEB.ip()), second.rulesFor(WEB.ip()));
    }

    @Test
    void shouldTouchOnlyTheRelabelledPodWhenItsNewIdentityExists()
    {
        final IncrementalPolicyCompiler compiler = new IncrementalPolicyCompiler();
        final PolicyEndpoint other = pod("default", "other", "10.244.0.5", labels("app", "other"));
        final PolicyTable before = compiler.update(clusterOf(WEB, WEB2, DB, other));
        final PolicyEndpoint relabelled = pod("default", "web2", "10.244.0.3", labels("app", "other"));
        final PolicyTable after = compiler.update(clusterOf(WEB, relabelled, DB, other));
        assertEquals(PolicyTable.ALLOW, toDb(before, WEB2));
        assertEquals(PolicyTable.DENY_INGRESS, toDb(after, relabelled));
        assertEquals(PolicyTable.ALLOW, toDb(after, WEB));
        assertSame(before.rulesFor(DB.ip()), after.rulesFor(DB.ip()), "db's table did not change");
        assertSame(before.rulesFor(WEB.ip()), after.rulesFor(WEB.ip()));
        assertEquals(before.rulesFor(other.ip()).identity(), after.rulesFor(relabelled.ip()).identity());
        assertEquals(PolicyTable.ALLOW, toDb(before, WEB2), "the published snapshot still answers as before");
    }

    @Test
    void shouldPatchAPeerThatGetsANewIdentityIntoExistingTables()
    {
        final IncrementalPolicyCompiler compiler = new IncrementalPolicyCompiler();
        final PolicyEndpoint stranger = pod("default", "stranger", "10.244.0.6", labels("app", "stranger"));
        final PolicyTable before = compiler.update(clusterOf(DB, stranger));
        final PolicyEndpoint nowWeb = pod("default", "stranger", "10.244.0.6", labels("app", "web", "v", "2"));
        final PolicyTable after = compiler.update(clusterOf(DB, nowWeb));
        assertEquals(PolicyTable.DENY_INGRESS, toDb(before, stranger));
        assertEquals(PolicyTable.ALLOW, toDb(after, nowWeb), "a new identity matching app=web reaches db");
        assertNotSame(before.rulesFor(DB.ip()), after.rulesFor(DB.ip()), "db's table was patched, copy-on-write");
        assertEquals(PolicyTable.DENY_INGRESS, toDb(before, stranger));
    }
}
