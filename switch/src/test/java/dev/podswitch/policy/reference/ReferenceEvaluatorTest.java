package dev.podswitch.policy.reference;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;
import dev.podswitch.policy.model.Traffic;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.podswitch.dataplane.packet.IpProtocol.ICMP;
import static dev.podswitch.dataplane.packet.IpProtocol.SCTP;
import static dev.podswitch.dataplane.packet.IpProtocol.TCP;
import static dev.podswitch.dataplane.packet.IpProtocol.UDP;
import static dev.podswitch.policy.reference.PolicyFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One small hand-built cluster per point of the NetworkPolicy semantics, with the reference
 * evaluator's verdict asserted. Every verdict is also checked against the compiled table, so each
 * point is pinned for both evaluators.
 */
class ReferenceEvaluatorTest
{
    private static final Map<String, Map<String, String>> NAMESPACES = Map.of(
        "default", labels("team", "core"),
        "prod", labels("team", "core", "env", "prod"),
        "dev", labels("env", "dev"));

    // default
    private static final PolicyEndpoint WEB = pod("default", "web", "10.244.1.10", labels("app", "web", "tier", "front"),
        served("http", TCP, 8080), served("metrics", TCP, 9090));
    private static final PolicyEndpoint DB = pod("default", "db", "10.244.1.20", labels("app", "db"),
        served("db", TCP, 5432), served("dns", UDP, 53), served("sig", SCTP, 3868));
    private static final PolicyEndpoint CLIENT = pod("default", "client", "10.244.1.30", labels("app", "client"));
    // prod
    private static final PolicyEndpoint PROD_WEB = pod("prod", "web", "10.244.2.10", labels("app", "web", "tier", "front"),
        served("http", TCP, 80));
    private static final PolicyEndpoint PROD_CLIENT = pod("prod", "client", "10.244.2.30", labels("app", "client"));
    // dev
    private static final PolicyEndpoint DEV_CLIENT = pod("dev", "client", "10.244.3.30", labels("app", "client"));
    private static final PolicyEndpoint DEV_PLAIN = pod("dev", "plain", "10.244.3.40", labels());
    // outside
    private static final PolicyEndpoint ADMIN = host("admin", "192.168.5.10", served(null, TCP, 80));
    private static final PolicyEndpoint BACKUP = host("backup", "203.0.113.7", served("http", TCP, 8080));
    private static final String NOBODY = "10.244.250.1";

    private static final List<PolicyEndpoint> ENDPOINTS = List.of(WEB, DB, CLIENT, PROD_WEB, PROD_CLIENT, DEV_CLIENT,
        DEV_PLAIN, ADMIN, BACKUP);

    private static PolicyCluster with(final NetworkPolicy... policies)
    {
        return cluster(NAMESPACES, ENDPOINTS, policies);
    }

    /** The reference verdict, after checking that the compiled table agrees with it. */
    private static Verdict judge(final PolicyCluster cluster, final int from, final int to, final IpProtocol protocol,
        final int port)
    {
        final Traffic traffic = Traffic.of(from, to, protocol, port);
        final Verdict verdict = ReferenceEvaluator.evaluate(cluster, traffic);
        final int compiled = check(PolicyCompiler.compile(cluster, 1), traffic);
        assertEquals(checkName(expectedCheck(verdict)), checkName(compiled),
            () -> "compiled disagrees with the reference on " + describe(traffic) + "\n" + describe(verdict) + "\n"
                + describe(cluster));
        return verdict;
    }

    private static Verdict judge(final PolicyCluster cluster, final PolicyEndpoint from, final PolicyEndpoint to,
        final IpProtocol protocol, final int port)
    {
        return judge(cluster, from.ip(), to.ip(), protocol, port);
    }

    private static boolean allowed(final PolicyCluster cluster, final PolicyEndpoint from, final PolicyEndpoint to,
        final IpProtocol protocol, final int port)
    {
        return judge(cluster, from, to, protocol, port).allowed();
    }

    private static boolean allowed(final PolicyCluster cluster, final PolicyEndpoint from, final PolicyEndpoint to)
    {
        return allowed(cluster, from, to, TCP, 8080);
    }

    @Test
    void shouldAllowEverythingWhenNoPolicyExists()
    {
        final PolicyCluster cluster = with();
        for (final PolicyEndpoint from : ENDPOINTS)
        {
            for (final PolicyEndpoint to : ENDPOINTS)
            {
                final Verdict verdict = judge(cluster, from, to, UDP, 53);
                assertTrue(verdict.allowed());
                assertFalse(verdict.egress().isolated());
                assertFalse(verdict.ingress().isolated());
            }
        }
    }

    @Nested
    class PodSelection
    {
        @Test
        void shouldSelectEveryPodOfThePolicyNamespaceOnlyWhenPodSelectorIsEmpty()
        {
            final PolicyCluster cluster = with(ingress("default", "deny-all", all()));
            assertFalse(allowed(cluster, CLIENT, WEB));
            assertFalse(allowed(cluster, CLIENT, DB));
            assertFalse(allowed(cluster, PROD_CLIENT, CLIENT));
            assertTrue(allowed(cluster, CLIENT, PROD_WEB), "prod is another namespace: not selected");
            assertTrue(allowed(cluster, WEB, DEV_PLAIN));
            final Verdict verdict = judge(cluster, CLIENT, WEB, TCP, 8080);
            assertEquals(List.of("default/deny-all"), verdict.ingress().isolating());
            assertNull(verdict.ingress().allowedBy());
            assertTrue(verdict.egress().allowed(), "Ingress-only policy: egress of the sender stays open");
        }

        @Test
        void shouldRequireBothMatchLabelsAndMatchExpressionsWhenASelectorHasBoth()
        {
            final PolicyCluster cluster = with(ingress("default", "front-web",
                selector(labels("app", "web"), in("tier", "front"))));
            assertFalse(allowed(cluster, CLIENT, WEB), "app=web and tier in (front): selected");

            final PolicyCluster onlyLabels = with(ingress("default", "web-back",
                selector(labels("app", "web"), in("tier", "back"))));
            assertTrue(allowed(onlyLabels, CLIENT, WEB), "matchLabels holds, expression does not: not selected");

            final PolicyCluster onlyExpression = with(ingress("default", "db-front",
                selector(labels("app", "db"), exists("tier"))));
            assertTrue(allowed(onlyExpression, CLIENT, DB), "db has no tier label: not selected");
        }

        @Test
        void shouldRequireEveryMatchLabelsPair()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web", "tier", "back")));
            assertTrue(allowed(cluster, CLIENT, WEB));
            final PolicyCluster both = with(ingress("default", "p", matchLabels("app", "web", "tier", "front")));
            assertFalse(allowed(both, CLIENT, WEB));
        }

        @Test
        void shouldSelectWithInOnlyWhenTheKeyIsPresentWithAListedValue()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchExpressions(in("app", "web", "db"))));
            assertFalse(allowed(cluster, CLIENT, WEB));
            assertFalse(allowed(cluster, CLIENT, DB));
            assertTrue(allowed(cluster, WEB, CLIENT), "app=client is not listed");
            final PolicyCluster absent = with(ingress("default", "p", matchExpressions(in("tier", "front", "back"))));
            assertFalse(allowed(absent, CLIENT, WEB));
            assertTrue(allowed(absent, CLIENT, DB), "In never matches an absent key");
        }

        @Test
        void shouldSelectWithNotInWhenTheValueIsNotListedOrTheKeyIsAbsent()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchExpressions(notIn("tier", "back"))));
            assertFalse(allowed(cluster, CLIENT, WEB), "tier=front is not listed");
            assertFalse(allowed(cluster, WEB, DB), "db has no tier label: NotIn matches an absent key");
            final PolicyCluster listed = with(ingress("default", "p", matchExpressions(notIn("tier", "front"))));
            assertTrue(allowed(listed, CLIENT, WEB), "tier=front is listed");
            assertFalse(allowed(listed, WEB, DB));
        }

        @Test
        void shouldSelectWithExistsAndDoesNotExistByPresenceOfTheKeyOnly()
        {
            final PolicyCluster exists = with(ingress("default", "p", matchExpressions(exists("tier"))));
            assertFalse(allowed(exists, CLIENT, WEB));
            assertTrue(allowed(exists, CLIENT, DB));
            final PolicyCluster absent = with(ingress("default", "p", matchExpressions(doesNotExist("tier"))));
            assertTrue(allowed(absent, CLIENT, WEB));
            assertFalse(allowed(absent, CLIENT, DB));
            assertFalse(allowed(absent, WEB, CLIENT));
        }
    }

    @Nested
    class PolicyTypes
    {
        private final PolicyRule nothing = rule(List.of(podPeer(matchLabels("app", "nobody"))));

        @Test
        void shouldLeaveEgressOpenWhenPolicyTypesIsIngressOnly()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web")));
            final Verdict out = judge(cluster, WEB, CLIENT, TCP, 8080);
            assertTrue(out.allowed());
            assertEquals(List.of("default/p"), out.egress().selecting());
            assertEquals(List.of(), out.egress().isolating());
            assertFalse(allowed(cluster, CLIENT, WEB));
        }

        @Test
        void shouldLeaveIngressOpenWhenPolicyTypesIsEgressOnly()
        {
            final PolicyCluster cluster = with(egress("default", "p", matchLabels("app", "web")));
            final Verdict in = judge(cluster, CLIENT, WEB, TCP, 8080);
            assertTrue(in.allowed());
            assertFalse(in.ingress().isolated());
            final Verdict out = judge(cluster, WEB, CLIENT, TCP, 8080);
            assertFalse(out.allowed());
            assertFalse(out.egress().allowed());
            assertTrue(out.ingress().allowed());
            assertFalse(allowed(cluster, WEB, ADMIN));
        }

        @Test
        void shouldIgnoreEgressRulesWhenPolicyTypesIsIngressOnly()
        {
            final NetworkPolicy policy = policy("default", "p", matchLabels("app", "web"), Set.of(PolicyType.INGRESS),
                List.of(nothing), List.of(nothing));
            final PolicyCluster cluster = with(policy);
            assertTrue(allowed(cluster, WEB, CLIENT), "egress rules present but Egress not in policyTypes");
            assertFalse(allowed(cluster, CLIENT, WEB));
        }

        @Test
        void shouldIsolateBothDirectionsWhenPolicyTypesHasBoth()
        {
            final NetworkPolicy policy = policy("default", "p", matchLabels("app", "web"),
                Set.of(PolicyType.INGRESS, PolicyType.EGRESS), List.of(), List.of());
            final PolicyCluster cluster = with(policy);
            assertFalse(allowed(cluster, WEB, CLIENT));
            assertFalse(allowed(cluster, CLIENT, WEB));
            assertTrue(allowed(cluster, CLIENT, DB));
        }

        @Test
        void shouldAllowTheUnionWhenOnePolicyIsolatesAndAnotherAllows()
        {
            final NetworkPolicy denyAll = ingress("default", "deny-all", all());
            final NetworkPolicy allowClient = ingress("default", "allow-client", matchLabels("app", "web"),
                rule(List.of(podPeer(matchLabels("app", "client"))), port(TCP, 8080)));
            final PolicyCluster cluster = with(denyAll, allowClient);
            final Verdict verdict = judge(cluster, CLIENT, WEB, TCP, 8080);
            assertTrue(verdict.allowed());
            assertEquals(List.of("default/deny-all", "default/allow-client"), verdict.ingress().isolating());
            assertEquals("default/allow-client", verdict.ingress().allowedBy().policy());
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 8081));
            assertFalse(allowed(cluster, CLIENT, DB, TCP, 5432), "db is selected only by deny-all");
            assertFalse(allowed(cluster, DB, WEB, TCP, 8080), "db is not app=client");
        }

        @Test
        void shouldRequireBothTheSendersEgressAndTheReceiversIngress()
        {
            final NetworkPolicy clientOut = egress("default", "client-out", matchLabels("app", "client"),
                rule(List.of(podPeer(matchLabels("app", "web")))));
            final NetworkPolicy webIn = ingress("default", "web-in", matchLabels("app", "web"),
                rule(List.of(podPeer(matchLabels("app", "db")))));
            final PolicyCluster cluster = with(clientOut, webIn);
            final Verdict verdict = judge(cluster, CLIENT, WEB, TCP, 8080);
            assertTrue(verdict.egress().allowed());
            assertFalse(verdict.ingress().allowed());
            assertTrue(allowed(cluster, DB, WEB));
            final Verdict blockedOut = judge(cluster, CLIENT, DB, TCP, 5432);
            assertFalse(blockedOut.egress().allowed());
        }
    }

    @Nested
    class Peers
    {
        @Test
        void shouldAllowEveryPeerWhenFromIsEmpty()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"), allowAll()));
            for (final PolicyEndpoint from : ENDPOINTS)
            {
                final Verdict verdict = judge(cluster, from, WEB, ICMP, 0);
                assertTrue(verdict.allowed(), from.key());
                assertEquals(-1, verdict.ingress().allowedBy().peer());
            }
            assertTrue(judge(cluster, ip(NOBODY), WEB.ip(), UDP, 1).allowed());
        }

        @Test
        void shouldMatchPodSelectorPeersInThePolicyNamespaceOnly()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(podPeer(matchLabels("app", "client"))))));
            assertTrue(allowed(cluster, CLIENT, WEB));
            assertFalse(allowed(cluster, PROD_CLIENT, WEB), "app=client but in prod");
            assertFalse(allowed(cluster, DEV_CLIENT, WEB));
            assertFalse(allowed(cluster, ADMIN, WEB), "hosts never match pod selectors");
        }

        @Test
        void shouldMatchPodsOfEveryNamespaceWhenNamespaceSelectorIsEmpty()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(namespacePeer(all())))));
            assertTrue(allowed(cluster, CLIENT, WEB));
            assertTrue(allowed(cluster, PROD_CLIENT, WEB));
            assertTrue(allowed(cluster, DEV_PLAIN, WEB));
            assertFalse(allowed(cluster, ADMIN, WEB), "namespaceSelector {} is every pod, not every address");
            assertFalse(judge(cluster, ip(NOBODY), WEB.ip(), TCP, 8080).allowed());
        }

        @Test
        void shouldMatchPodsOfEveryNamespaceWithEmptyNamespaceAndPodSelectors()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(podAndNamespacePeer(all(), all())))));
            assertTrue(allowed(cluster, DEV_PLAIN, WEB));
            assertTrue(allowed(cluster, PROD_CLIENT, WEB));
            assertFalse(allowed(cluster, BACKUP, WEB));
        }

        @Test
        void shouldAndSelectorsInOnePeerButOrThemAcrossTwoPeers()
        {
            // One peer: pods labelled app=client in namespaces labelled env=prod.
            final PolicyCluster and = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(podAndNamespacePeer(matchLabels("app", "client"), matchLabels("env", "prod"))))));
            assertTrue(allowed(and, PROD_CLIENT, WEB));
            assertFalse(allowed(and, CLIENT, WEB), "app=client but default has no env=prod");
            assertFalse(allowed(and, PROD_WEB, WEB), "in prod but not app=client");
            assertFalse(allowed(and, DEV_CLIENT, WEB));

            // Two peers: app=client pods of the policy's namespace, or any pod of env=prod namespaces.
            final PolicyCluster or = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(podPeer(matchLabels("app", "client")), namespacePeer(matchLabels("env", "prod"))))));
            final Verdict local = judge(or, CLIENT, WEB, TCP, 8080);
            assertTrue(local.allowed());
            assertEquals(0, local.ingress().allowedBy().peer());
            final Verdict prod = judge(or, PROD_WEB, WEB, TCP, 8080);
            assertTrue(prod.allowed());
            assertEquals(1, prod.ingress().allowedBy().peer());
            assertTrue(allowed(or, PROD_CLIENT, WEB));
            assertFalse(allowed(or, DEV_CLIENT, WEB), "app=client but neither in default nor in env=prod");
        }

        @Test
        void shouldMatchNamespaceSelectorOnNamespaceLabels()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(namespacePeer(matchExpressions(notIn("env", "prod")))))));
            assertTrue(allowed(cluster, CLIENT, WEB), "default has no env label: NotIn holds");
            assertTrue(allowed(cluster, DEV_CLIENT, WEB));
            assertFalse(allowed(cluster, PROD_CLIENT, WEB));
        }

        @Test
        void shouldMatchPodAndHostAddressesWithIpBlock()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(ipBlock("10.244.2.0/24"), ipBlock("192.168.0.0/16")))));
            assertTrue(allowed(cluster, PROD_CLIENT, WEB), "pod IPs are addresses too");
            assertTrue(allowed(cluster, PROD_WEB, WEB));
            assertTrue(allowed(cluster, ADMIN, WEB));
            assertFalse(allowed(cluster, CLIENT, WEB));
            assertFalse(allowed(cluster, BACKUP, WEB));
        }

        @Test
        void shouldCutExceptsOutOfIpBlock()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(ipBlock("10.244.0.0/16", "10.244.2.0/24", "10.244.1.30/32")))));
            assertFalse(allowed(cluster, PROD_CLIENT, WEB));
            assertFalse(allowed(cluster, CLIENT, WEB));
            assertTrue(allowed(cluster, DB, WEB));
            assertTrue(allowed(cluster, DEV_CLIENT, WEB));
            assertTrue(judge(cluster, ip("10.244.0.0"), WEB.ip(), TCP, 1).allowed(), "first address of the cidr");
            assertTrue(judge(cluster, ip("10.244.255.255"), WEB.ip(), TCP, 1).allowed(), "last address of the cidr");
            assertTrue(judge(cluster, ip("10.244.1.29"), WEB.ip(), TCP, 1).allowed());
            assertTrue(judge(cluster, ip("10.244.1.31"), WEB.ip(), TCP, 1).allowed());
            assertTrue(judge(cluster, ip("10.244.1.255"), WEB.ip(), TCP, 1).allowed());
            assertFalse(judge(cluster, ip("10.244.2.0"), WEB.ip(), TCP, 1).allowed());
            assertFalse(judge(cluster, ip("10.244.2.255"), WEB.ip(), TCP, 1).allowed());
            assertTrue(judge(cluster, ip("10.244.3.0"), WEB.ip(), TCP, 1).allowed());
            assertFalse(judge(cluster, ip("10.245.0.0"), WEB.ip(), TCP, 1).allowed());
            assertFalse(judge(cluster, ip("10.243.255.255"), WEB.ip(), TCP, 1).allowed());
        }

        @Test
        void shouldMatchEveryAddressWithZeroCidrAndOrderHighAddressesUnsigned()
        {
            final PolicyCluster cluster = with(egress("default", "p", matchLabels("app", "web"),
                rule(List.of(ipBlock("0.0.0.0/0", "128.0.0.0/2", "10.0.0.0/8")))));
            assertTrue(allowed(cluster, WEB, BACKUP), "203.0.113.7 is in 192.0.0.0/2, not cut");
            assertTrue(allowed(cluster, WEB, ADMIN));
            assertFalse(allowed(cluster, WEB, CLIENT), "10/8 is cut");
            assertFalse(judge(cluster, WEB.ip(), ip("128.0.0.0"), UDP, 1).allowed());
            assertFalse(judge(cluster, WEB.ip(), ip("191.255.255.255"), UDP, 1).allowed());
            assertTrue(judge(cluster, WEB.ip(), ip("192.0.0.0"), UDP, 1).allowed());
            assertTrue(judge(cluster, WEB.ip(), ip("255.255.255.255"), UDP, 1).allowed());
            assertTrue(judge(cluster, WEB.ip(), ip("127.255.255.255"), UDP, 1).allowed());
            assertTrue(judge(cluster, WEB.ip(), ip("0.0.0.0"), UDP, 1).allowed());
        }

        @Test
        void shouldJudgeTrafficFromAHostByTheReceivingPodsPoliciesOnly()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(ipBlock("192.168.5.10/32")))));
            final Verdict verdict = judge(cluster, ADMIN, WEB, TCP, 8080);
            assertTrue(verdict.allowed());
            assertNull(verdict.egress().pod(), "a host has no policies");
            assertFalse(judge(cluster, BACKUP, WEB, TCP, 8080).allowed());
            assertTrue(judge(cluster, ADMIN, BACKUP, TCP, 8080).allowed(), "host to host: no pod end, no policy");
        }

        @Test
        void shouldJudgeTrafficToAHostByTheSendingPodsPoliciesOnly()
        {
            final PolicyCluster cluster = with(egress("default", "p", all(),
                rule(List.of(ipBlock("192.168.5.0/24")), port(TCP, 80))));
            final Verdict verdict = judge(cluster, WEB, ADMIN, TCP, 80);
            assertTrue(verdict.allowed());
            assertNull(verdict.ingress().pod());
            assertFalse(judge(cluster, WEB, BACKUP, TCP, 80).allowed());
            assertFalse(judge(cluster, WEB, ADMIN, TCP, 81).allowed());
        }

        @Test
        void shouldTreatAnAddressNobodyOwnsAsAnExternalAddress()
        {
            final PolicyCluster cluster = with(
                egress("default", "out", matchLabels("app", "web"), rule(List.of(ipBlock("10.244.250.0/24")))),
                ingress("default", "in", matchLabels("app", "db"), rule(List.of(namespacePeer(all())))));
            final Verdict out = judge(cluster, WEB.ip(), ip(NOBODY), TCP, 1234);
            assertTrue(out.allowed());
            assertNull(out.ingress().pod());
            assertTrue(judge(cluster, CLIENT.ip(), ip(NOBODY), TCP, 1234).allowed(), "client is not isolated");
            assertFalse(judge(cluster, ip(NOBODY), DB.ip(), TCP, 5432).allowed(),
                "an address nobody owns is no pod of any namespace");
            assertTrue(judge(cluster, ip(NOBODY), WEB.ip(), TCP, 8080).allowed(), "web is not ingress-isolated");
            assertFalse(judge(cluster, WEB.ip(), ip("10.244.251.1"), TCP, 1).allowed());
        }
    }

    @Nested
    class Ports
    {
        private PolicyCluster webIngress(final PolicyRule rule)
        {
            return with(ingress("default", "p", matchLabels("app", "web"), rule));
        }

        private final List<PolicyPeer> everyone = List.of();

        @Test
        void shouldMatchTheNumberOnItsProtocolOnly()
        {
            final PolicyCluster cluster = webIngress(rule(everyone, port(TCP, 8080)));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 8080));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 8079));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 8081));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 65535));
            assertFalse(allowed(cluster, CLIENT, WEB, UDP, 8080));
            assertFalse(allowed(cluster, CLIENT, WEB, SCTP, 8080));
            assertFalse(allowed(cluster, CLIENT, WEB, ICMP, 0));
        }

        @Test
        void shouldMatchRangesInclusiveOfBothEdges()
        {
            final PolicyCluster cluster = webIngress(rule(everyone, range(UDP, 1000, 2000), range(TCP, 80, 80)));
            assertFalse(allowed(cluster, CLIENT, WEB, UDP, 999));
            assertTrue(allowed(cluster, CLIENT, WEB, UDP, 1000));
            assertTrue(allowed(cluster, CLIENT, WEB, UDP, 1500));
            assertTrue(allowed(cluster, CLIENT, WEB, UDP, 2000));
            assertFalse(allowed(cluster, CLIENT, WEB, UDP, 2001));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 80));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 81));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 1500));
        }

        @Test
        void shouldMatchOverlappingRangesAsTheirUnion()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "web"),
                rule(List.of(podPeer(matchLabels("app", "client"))), range(TCP, 100, 200)),
                rule(List.of(podPeer(matchLabels("app", "db"))), range(TCP, 150, 300))));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 149));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 200));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 201));
            assertFalse(allowed(cluster, DB, WEB, TCP, 149));
            assertTrue(allowed(cluster, DB, WEB, TCP, 150));
            assertTrue(allowed(cluster, DB, WEB, TCP, 300));
            assertFalse(allowed(cluster, DB, WEB, TCP, 301));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 99));
        }

        @Test
        void shouldDefaultToEveryPortOfTheProtocolWhenOnlyProtocolIsGiven()
        {
            final PolicyCluster cluster = webIngress(rule(everyone, anyPort(UDP)));
            assertTrue(allowed(cluster, CLIENT, WEB, UDP, 1));
            assertTrue(allowed(cluster, CLIENT, WEB, UDP, 65535));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 53));
            assertFalse(allowed(cluster, CLIENT, WEB, ICMP, 0));
        }

        @Test
        void shouldAllowEveryProtocolIncludingIcmpWhenARuleHasNoPorts()
        {
            final PolicyCluster cluster = webIngress(rule(List.of(podPeer(matchLabels("app", "client")))));
            for (final IpProtocol protocol : IpProtocol.values())
            {
                assertTrue(allowed(cluster, CLIENT, WEB, protocol, 7), protocol.name());
            }
            final Verdict gre = judgeRaw(cluster, new Traffic(CLIENT.ip(), WEB.ip(), 47, 0));
            assertTrue(gre.allowed(), "a protocol without a name (GRE) too");
            final Verdict greFromDb = judgeRaw(cluster, new Traffic(DB.ip(), WEB.ip(), 47, 0));
            assertFalse(greFromDb.allowed());
        }

        @Test
        void shouldNeverAllowIcmpWhenARuleHasPorts()
        {
            final PolicyCluster cluster = webIngress(rule(everyone, anyPort(TCP), anyPort(UDP), anyPort(SCTP)));
            assertFalse(allowed(cluster, CLIENT, WEB, ICMP, 0));
            assertFalse(judgeRaw(cluster, new Traffic(CLIENT.ip(), WEB.ip(), 47, 0)).allowed());
            assertTrue(allowed(cluster, CLIENT, WEB, SCTP, 9));
        }

        @Test
        void shouldMatchSctpPortsOnSctpOnly()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "db"),
                rule(everyone, port(SCTP, 3868)), rule(everyone, named(SCTP, "sig"))));
            assertTrue(allowed(cluster, CLIENT, DB, SCTP, 3868));
            assertFalse(allowed(cluster, CLIENT, DB, TCP, 3868));
            assertFalse(allowed(cluster, CLIENT, DB, SCTP, 3869));
        }

        @Test
        void shouldResolveIngressNamedPortsOnTheReceivingPod()
        {
            final NetworkPolicy policy = ingress("default", "p", matchLabels("tier", "front"),
                rule(everyone, named(TCP, "http")));
            final PolicyCluster cluster = cluster(NAMESPACES, ENDPOINTS,
                policy, ingress("prod", "p", matchLabels("tier", "front"), rule(everyone, named(TCP, "http"))));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 8080), "default/web serves http on 8080");
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 80));
            assertTrue(allowed(cluster, CLIENT, PROD_WEB, TCP, 80), "prod/web serves http on 80");
            assertFalse(allowed(cluster, CLIENT, PROD_WEB, TCP, 8080));
            assertFalse(allowed(cluster, CLIENT, WEB, UDP, 8080), "the name is TCP");
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 9090), "metrics is another name");
        }

        @Test
        void shouldNotMatchANamedPortWithTheWrongProtocol()
        {
            final PolicyCluster cluster = with(ingress("default", "p", matchLabels("app", "db"),
                rule(everyone, named(TCP, "dns"))));
            assertFalse(allowed(cluster, CLIENT, DB, TCP, 53), "dns is served on UDP, the rule asks TCP");
            assertFalse(allowed(cluster, CLIENT, DB, UDP, 53));
        }

        @Test
        void shouldMatchNothingWhenTheReceiverDoesNotServeTheName()
        {
            final PolicyCluster cluster = with(ingress("default", "p", all(), rule(everyone, named(TCP, "http"))));
            assertFalse(allowed(cluster, WEB, CLIENT, TCP, 8080), "client serves no ports");
            assertFalse(allowed(cluster, WEB, DB, TCP, 8080));
            assertFalse(allowed(cluster, WEB, DB, TCP, 5432));
            assertTrue(allowed(cluster, DB, WEB, TCP, 8080));
        }

        @Test
        void shouldResolveEgressNamedPortsOnTheDestinationPod()
        {
            final PolicyCluster cluster = with(egress("default", "p", matchLabels("app", "client"),
                rule(List.of(namespacePeer(all())), named(TCP, "http"))));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 8080));
            assertFalse(allowed(cluster, CLIENT, WEB, TCP, 80));
            assertTrue(allowed(cluster, CLIENT, PROD_WEB, TCP, 80));
            assertFalse(allowed(cluster, CLIENT, PROD_WEB, TCP, 8080), "8080 is http on default/web, not here");
            assertFalse(allowed(cluster, CLIENT, DB, TCP, 8080), "db has no port named http");
            assertFalse(allowed(cluster, CLIENT, DB, TCP, 5432));
        }

        @Test
        void shouldRequireTheDestinationToBeAPeerForAnEgressNamedPort()
        {
            final PolicyCluster cluster = with(egress("default", "p", matchLabels("app", "client"),
                rule(List.of(podPeer(matchLabels("app", "web"))), named(TCP, "http"))));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 8080));
            assertFalse(allowed(cluster, CLIENT, PROD_WEB, TCP, 80), "prod/web is not in the policy's namespace");
        }

        @Test
        void shouldNotResolveANamedPortOnAHostWhichHasNoContainerPorts()
        {
            // A named port is a name on a pod (API reference, NetworkPolicyPort.port); a host is no pod,
            // even when the lab gives it a served port with a name.
            final PolicyCluster cluster = with(egress("default", "p", matchLabels("app", "client"),
                rule(List.of(ipBlock("0.0.0.0/0")), named(TCP, "http"))));
            assertFalse(allowed(cluster, CLIENT, BACKUP, TCP, 8080));
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 8080));
        }

        @Test
        void shouldMatchAnyOfSeveralPortsOfOneRule()
        {
            final PolicyCluster cluster = webIngress(rule(List.of(podPeer(matchLabels("app", "client"))),
                port(TCP, 80), named(TCP, "metrics"), range(UDP, 5000, 5001)));
            final Verdict metrics = judge(cluster, CLIENT, WEB, TCP, 9090);
            assertTrue(metrics.allowed());
            assertEquals(1, metrics.ingress().allowedBy().port());
            assertTrue(allowed(cluster, CLIENT, WEB, TCP, 80));
            assertTrue(allowed(cluster, CLIENT, WEB, UDP, 5001));
            assertFalse(allowed(cluster, CLIENT, WEB, UDP, 80));
            assertFalse(allowed(cluster, DB, WEB, TCP, 80));
        }

        private Verdict judgeRaw(final PolicyCluster cluster, final Traffic traffic)
        {
            final Verdict verdict = ReferenceEvaluator.evaluate(cluster, traffic);
            assertEquals(checkName(expectedCheck(verdict)), checkName(check(PolicyCompiler.compile(cluster, 1), traffic)),
                () -> describe(traffic) + "\n" + describe(verdict));
            return verdict;
        }
    }

    @Test
    void shouldDescribeTheRuleThatAllowed()
    {
        final PolicyCluster cluster = with(ingress("default", "db-policy", matchLabels("app", "db"),
            rule(List.of(ipBlock("192.168.0.0/16"), podPeer(matchLabels("app", "web"))), port(TCP, 5432))));
        final RuleMatch match = judge(cluster, WEB, DB, TCP, 5432).ingress().allowedBy();
        assertEquals("default/db-policy spec.ingress[0].from[1] ports[0]", match.describe());
    }
}
