package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import dev.podswitch.policy.model.Traffic;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.reference.PolicyFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ipBlock with excepts, compiled: the edges of the cidr and of every except, excepts touching the
 * first or the last address of the cidr, nested and overlapping excepts, and cidrs on both sides
 * of 128.0.0.0 (where signed and unsigned order differ). Each probe is also asked of the reference.
 */
class IpBlockCompileTest
{
    private static final PolicyEndpoint SENDER = pod("default", "sender", "10.244.0.2", labels("app", "sender"));

    private static void assertBlock(final String cidr, final String[] except, final String[] allowed,
        final String[] denied)
    {
        final PolicyCluster cluster = cluster(Map.of("default", Map.of()), List.of(SENDER),
            egress("default", "p", all(), rule(List.of(ipBlock(cidr, except)), anyPort(IpProtocol.UDP))));
        final PolicyTable table = PolicyCompiler.compile(cluster, 1);
        for (final String address : allowed)
        {
            assertVerdict(cluster, table, address, PolicyTable.ALLOW);
        }
        for (final String address : denied)
        {
            assertVerdict(cluster, table, address, PolicyTable.DENY_EGRESS);
        }
    }

    private static void assertVerdict(final PolicyCluster cluster, final PolicyTable table, final String address,
        final int expected)
    {
        final Traffic traffic = Traffic.of(SENDER.ip(), ip(address), IpProtocol.UDP, 53);
        assertEquals(checkName(expected), checkName(expectedCheck(ReferenceEvaluator.evaluate(cluster, traffic))),
            "reference on " + address);
        assertEquals(checkName(expected), checkName(check(table, traffic)), "compiled on " + address);
    }

    private static String[] a(final String... values)
    {
        return values;
    }

    @Test
    void shouldKeepBothEdgesOfACidrWithoutExcepts()
    {
        assertBlock("192.168.0.0/16", a(), a("192.168.0.0", "192.168.255.255", "192.168.128.0"),
            a("192.167.255.255", "192.169.0.0", "10.0.0.1"));
    }

    @Test
    void shouldCutAnExceptAtTheFirstAddressOfTheCidr()
    {
        assertBlock("10.1.0.0/16", a("10.1.0.0/24"), a("10.1.1.0", "10.1.255.255"),
            a("10.1.0.0", "10.1.0.255", "10.0.255.255", "10.2.0.0"));
    }

    @Test
    void shouldCutAnExceptAtTheLastAddressOfTheCidr()
    {
        assertBlock("10.1.0.0/16", a("10.1.255.0/24"), a("10.1.0.0", "10.1.254.255"),
            a("10.1.255.0", "10.1.255.255", "10.2.0.0"));
    }

    @Test
    void shouldCutSingleAddressesInsideAndAtBothEdges()
    {
        assertBlock("10.1.2.0/24", a("10.1.2.0/32", "10.1.2.255/32", "10.1.2.7/32"),
            a("10.1.2.1", "10.1.2.6", "10.1.2.8", "10.1.2.254"), a("10.1.2.0", "10.1.2.7", "10.1.2.255"));
    }

    @Test
    void shouldCutHalvesOfTheCidrLeavingTheOtherHalf()
    {
        assertBlock("10.1.2.0/24", a("10.1.2.0/25"), a("10.1.2.128", "10.1.2.255"), a("10.1.2.0", "10.1.2.127"));
        assertBlock("10.1.2.0/24", a("10.1.2.128/25"), a("10.1.2.0", "10.1.2.127"), a("10.1.2.128", "10.1.2.255"));
        assertBlock("10.1.2.0/24", a("10.1.2.0/25", "10.1.2.128/25"), a(), a("10.1.2.0", "10.1.2.127", "10.1.2.128"));
    }

    @Test
    void shouldCutNestedAndAdjacentExcepts()
    {
        assertBlock("10.0.0.0/8", a("10.1.0.0/16", "10.1.2.0/24", "10.2.0.0/16"),
            a("10.0.255.255", "10.3.0.0", "10.255.255.255", "10.0.0.0"),
            a("10.1.0.0", "10.1.2.3", "10.1.255.255", "10.2.0.0", "10.2.255.255"));
    }

    @Test
    void shouldCutExceptsAcrossTheSignBoundary()
    {
        assertBlock("0.0.0.0/0", a("128.0.0.0/1"), a("0.0.0.0", "127.255.255.255", "10.0.0.1"),
            a("128.0.0.0", "255.255.255.255", "200.1.1.1"));
        assertBlock("0.0.0.0/0", a("0.0.0.0/1"), a("128.0.0.0", "255.255.255.255"),
            a("0.0.0.0", "127.255.255.255"));
        assertBlock("128.0.0.0/1", a("255.255.255.255/32", "128.0.0.0/32"),
            a("128.0.0.1", "255.255.255.254", "191.0.0.0"), a("128.0.0.0", "255.255.255.255", "127.255.255.255"));
        assertBlock("0.0.0.0/0", a("64.0.0.0/2", "192.0.0.0/2"),
            a("0.0.0.0", "63.255.255.255", "128.0.0.0", "191.255.255.255"),
            a("64.0.0.0", "127.255.255.255", "192.0.0.0", "255.255.255.255"));
    }

    @Test
    void shouldReadExceptsThatAreNotStrictlyInsideLiterally()
    {
        // Validation rejects these; the compiler still must not widen or crash on them.
        assertBlock("10.1.2.0/24", a("10.1.2.0/24"), a(), a("10.1.2.0", "10.1.2.255"));
        assertBlock("10.1.2.0/24", a("10.1.0.0/16"), a(), a("10.1.2.0", "10.1.2.255", "10.1.3.0"));
        assertBlock("10.1.2.0/24", a("10.1.3.0/24"), a("10.1.2.0", "10.1.2.255"), a("10.1.3.0", "10.1.1.255"));
    }

    @Test
    void shouldMatchASingleHostCidr()
    {
        assertBlock("203.0.113.7/32", a(), a("203.0.113.7"), a("203.0.113.6", "203.0.113.8"));
    }
}
