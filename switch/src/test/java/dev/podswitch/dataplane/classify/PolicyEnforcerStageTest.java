package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.StageFixture;
import dev.podswitch.dataplane.StageHarness;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.conntrack.ConntrackTimeouts;
import dev.podswitch.util.IntHashMap;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.dataplane.stats.PolicyVerdictCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.NODE_3;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.icmpError;
import static dev.podswitch.dataplane.StageFixture.tcp;
import static dev.podswitch.dataplane.StageFixture.udp;
import static dev.podswitch.dataplane.packet.TestFrames.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The policy stage alone, with its connection tracker: a connection's first packet is judged by
 * the compiled {@link PolicyTable} (egress at the sender's node, ingress at the receiver's) and, if
 * allowed, tracked; its replies and the ICMP errors about it pass without a policy lookup; denied
 * packets leave no state. A new policy generation judges new connections and, by default, keeps
 * established ones. The tables are built by hand from the classify builders, so each test says
 * exactly which rule it relies on.
 */
class PolicyEnforcerStageTest
{
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int IDENTITY_A = 1;
    private static final int IDENTITY_B = 2;
    private static final int IDENTITY_REMOTE = 3;

    private final StageHarness harness = StageFixture.harness();
    private final ConnectionTracker tracker = new ConnectionTracker(256, ConntrackTimeouts.DEFAULTS);
    private PolicyEnforcer enforcer = new PolicyEnforcer(tracker, false);

    /** As {@code NodeDatapath.process} calls it: egress applies when the sender is a pod on one of our ports. */
    private final StageHarness.Stage admit = (frame, node) ->
    {
        final LocalEndpoint sender = node.table().localByPortId(frame.inPortId());
        return enforcer.admit(frame.meta(), node.policy(), sender != null && sender.kind() == LocalEndpoint.Kind.POD,
            node.table(), node.nowNs());
    };

    @AfterEach
    void everyFrameEndsInOneCounter()
    {
        assertTrue(harness.isBalanced(), harness.counters().drops().toString());
        assertEquals(0, harness.sentAnywhere(), "the policy stage only judges");
    }

    // ---- policy tables, by hand ----

    private static DirectionRules denyAll()
    {
        return new DirectionRules(true, new PortRulesBuilder().build());
    }

    /** Isolated, allowing {@code protocol} port {@code port} from {@code identity} only. */
    private static DirectionRules allowOnly(final int protocol, final int port, final int identity)
    {
        return new DirectionRules(true,
            new PortRulesBuilder().ports(protocol, port, port, new PeerSetBuilder().identity(identity)).build());
    }

    private static PolicyTable.EndpointRules rules(final int identity, final DirectionRules ingress,
        final DirectionRules egress)
    {
        return new PolicyTable.EndpointRules(identity, ingress, egress);
    }

    private static PolicyTable.EndpointRules open(final int identity)
    {
        return rules(identity, DirectionRules.NOT_ISOLATED, DirectionRules.NOT_ISOLATED);
    }

    /** A generation with A, B and the remote pod as given. */
    private static PolicyTable policy(final long generation, final PolicyTable.EndpointRules a,
        final PolicyTable.EndpointRules b, final PolicyTable.EndpointRules remote)
    {
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(4);
        rulesByIp.put(POD_A.ip(), a);
        rulesByIp.put(POD_B.ip(), b);
        rulesByIp.put(REMOTE_POD, remote);
        return new PolicyTable(generation, rulesByIp);
    }

    // ---- running the stage ----

    private DropReason fromPort(final LocalEndpoint port, final byte[] bytes)
    {
        return run(harness.frame(port.portId(), bytes));
    }

    private DropReason fromNode2(final byte[] bytes)
    {
        return run(harness.fromTunnel(NODE_2.vtepIp(), bytes));
    }

    private DropReason run(final Frame frame)
    {
        final byte[] before = StageHarness.bytes(frame);
        final DropReason verdict = harness.run(admit, frame);
        assertEquals(toHex(before), toHex(StageHarness.bytes(frame)), "the policy stage never writes the frame");
        return verdict;
    }

    // ---- first packets ----

    @Test
    void shouldAllowAndTrackWhenNoPodIsIsolated()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        assertEquals(1, tracker.size());
        assertNotEquals(ConnectionTracker.MISS, enforcer.lastHandle(), "the fast path gets the new connection");
        assertFalse(ConnectionTracker.isReply(enforcer.lastHandle()));
        assertEquals(1, tracker.policyGeneration(enforcer.lastHandle()), "tracked under the generation that allowed it");
    }

    @Test
    void shouldAllowEverythingWhenNoPolicyWasPublished()
    {
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), REMOTE_POD, 40000, 443, SYN)));
        assertNull(fromPort(HOST, udp(HOST, POD_B.ip(), 5000, 53)));
        assertEquals(2, tracker.size());
    }

    @Test
    void shouldDenyEgressAndTrackNothingWhenSendersEgressIsolatesIt()
    {
        harness.publishPolicy(policy(1, rules(IDENTITY_A, DirectionRules.NOT_ISOLATED, denyAll()), open(IDENTITY_B),
            open(IDENTITY_REMOTE)));
        assertEquals(DropReason.POLICY_DENIED_EGRESS, fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        assertEquals(DropReason.POLICY_DENIED_EGRESS, fromPort(POD_A, udp(POD_A, REMOTE_POD, 40000, 53)));
        assertEquals(0, tracker.size(), "a denied packet creates no state");
        assertEquals(ConnectionTracker.MISS, enforcer.lastHandle());
        assertEquals(2, harness.counters().droppedCount(DropReason.POLICY_DENIED_EGRESS));
        assertNull(fromPort(POD_B, udp(POD_B, POD_A.ip(), 40000, 53)), "B is not isolated; A's ingress is open");
    }

    @Test
    void shouldDenyIngressWhenLocalReceiverAllowsOnlyOnePeerOnOnePort()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), rules(IDENTITY_B, allowOnly(6, 80, IDENTITY_A),
            DirectionRules.NOT_ISOLATED), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, SYN)));
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40001, 81, SYN)), "another port");
        assertEquals(DropReason.POLICY_DENIED_INGRESS, fromPort(POD_A, udp(POD_A, POD_B.ip(), 40002, 80)),
            "another protocol");
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            fromPort(HOST, tcp(HOST.mac(), HOST.ip(), POD_B.ip(), 40003, 80, SYN)), "a host is no allowed identity");
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            fromNode2(tcp(NODE_2.gatewayMac(), REMOTE_POD, POD_B.ip(), 40004, 80, SYN)), "nor is a remote pod");
        assertEquals(1, tracker.size(), "only the allowed connection is tracked");
        assertEquals(4, harness.counters().droppedCount(DropReason.POLICY_DENIED_INGRESS));
    }

    @Test
    void shouldCountEachConsultedDirectionOfAFirstPacketByItsAction()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), rules(IDENTITY_B, allowOnly(6, 80, IDENTITY_A),
            DirectionRules.NOT_ISOLATED), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, SYN)));
        assertNull(fromPort(POD_B, tcp(POD_B.mac(), POD_B.ip(), POD_A.ip(), 80, 40000, SYN | ACK)), "a reply: not judged");
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40001, 81, SYN)));
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            fromNode2(tcp(NODE_2.gatewayMac(), REMOTE_POD, POD_B.ip(), 40004, 80, SYN)), "a remote sender: ingress only");
        final PolicyVerdictCounters verdicts = enforcer.verdicts();
        assertEquals(2, verdicts.get(PolicyVerdictCounters.Direction.EGRESS, PolicyVerdictCounters.Action.ALLOW));
        assertEquals(0, verdicts.get(PolicyVerdictCounters.Direction.EGRESS, PolicyVerdictCounters.Action.DENY));
        assertEquals(1, verdicts.get(PolicyVerdictCounters.Direction.INGRESS, PolicyVerdictCounters.Action.ALLOW));
        assertEquals(2, verdicts.get(PolicyVerdictCounters.Direction.INGRESS, PolicyVerdictCounters.Action.DENY),
            "as many as the POLICY_DENIED_INGRESS drops");
        assertEquals(2, harness.counters().droppedCount(DropReason.POLICY_DENIED_INGRESS));
    }

    @Test
    void shouldLeaveEgressToTheSendersNodeWhenSenderIsRemote()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B),
            rules(IDENTITY_REMOTE, DirectionRules.NOT_ISOLATED, denyAll())));
        assertNull(fromNode2(udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53)),
            "the remote pod's egress was enforced at node-2");
    }

    @Test
    void shouldLeaveIngressToTheReceiversNodeWhenReceiverIsRemote()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B),
            rules(IDENTITY_REMOTE, denyAll(), DirectionRules.NOT_ISOLATED)));
        assertNull(fromPort(POD_A, udp(POD_A, REMOTE_POD, 40000, 53)), "node-2 enforces its pod's ingress");
    }

    @Test
    void shouldNotApplyEgressWhenSenderIsAHostBehindTheUplink()
    {
        // An endpoint on a HOST port has no egress of its own here, even if its address had rules.
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(2);
        rulesByIp.put(HOST.ip(), rules(9, DirectionRules.NOT_ISOLATED, denyAll()));
        harness.publishPolicy(new PolicyTable(1, rulesByIp));
        assertNull(fromPort(HOST, udp(HOST, POD_A.ip(), 5000, 53)));
        assertEquals(DropReason.POLICY_DENIED_EGRESS, fromPort(POD_A, udp(POD_A.mac(), HOST.ip(), POD_B.ip(), 1, 2)),
            "the same source address from a pod port is judged as that pod's egress");
    }

    // ---- the rest of a connection ----

    @Test
    void shouldPassRepliesWithoutPolicyWhenConnectionWasAllowed()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), rules(IDENTITY_B, allowOnly(6, 80, IDENTITY_A), denyAll()),
            open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, SYN)));
        assertNull(fromPort(POD_B, tcp(POD_B.mac(), POD_B.ip(), POD_A.ip(), 80, 40000, SYN | ACK)),
            "B's egress denies everything, but this is a reply");
        assertTrue(ConnectionTracker.isReply(enforcer.lastHandle()));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, ACK)));
        assertFalse(ConnectionTracker.isReply(enforcer.lastHandle()));
        assertEquals(DropReason.POLICY_DENIED_EGRESS,
            fromPort(POD_B, tcp(POD_B.mac(), POD_B.ip(), POD_A.ip(), 80, 40001, SYN)), "a new connection from B");
        assertEquals(1, tracker.size());
    }

    @Test
    void shouldPassIcmpErrorAboutAnAllowedConnectionAsRelated()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), rules(IDENTITY_B, allowOnly(17, 53, IDENTITY_A), denyAll()),
            open(IDENTITY_REMOTE)));
        final byte[] query = udp(POD_A, POD_B.ip(), 40000, 53);
        assertNull(fromPort(POD_A, query));
        assertNull(fromPort(POD_B, icmpError(POD_B.mac(), POD_B.ip(), POD_A.ip(), 3, 3, query)),
            "port unreachable about A's query passes B's deny-all egress");
        assertEquals(ConnectionTracker.MISS, enforcer.lastHandle(), "a related error is not the connection's packet");
        assertEquals(1, tracker.size());

        final byte[] neverSent = udp(POD_A, POD_B.ip(), 40000, 54);
        assertEquals(DropReason.POLICY_DENIED_EGRESS,
            fromPort(POD_B, icmpError(POD_B.mac(), POD_B.ip(), POD_A.ip(), 3, 3, neverSent)),
            "an error about no tracked connection is new traffic, judged by policy");
        assertEquals(DropReason.POLICY_DENIED_EGRESS,
            fromPort(POD_B, icmpError(POD_B.mac(), POD_B.ip(), HOST.ip(), 3, 3, query)),
            "an error about A's connection sent to someone else is not related either");
    }

    @Test
    void shouldJudgeNewConnectionsByNewGenerationButKeepEstablishedOnes()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        harness.publishPolicy(policy(2, open(IDENTITY_A), rules(IDENTITY_B, denyAll(), DirectionRules.NOT_ISOLATED),
            open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)), "established before the change");
        assertNull(fromPort(POD_B, udp(POD_B, POD_A.ip(), 53, 40000)), "its reply");
        assertEquals(1, tracker.policyGeneration(enforcer.lastHandle()), "not re-judged");
        assertEquals(DropReason.POLICY_DENIED_INGRESS, fromPort(POD_A, udp(POD_A, POD_B.ip(), 40001, 53)),
            "a new connection meets the new policy");
        assertEquals(1, tracker.size());
    }

    @Test
    void shouldJudgeAConnectionAnewWhenItExpiredAtThePipelinesClock()
    {
        final long second = 1_000_000_000L;
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        harness.publishPolicy(policy(2, open(IDENTITY_A), rules(IDENTITY_B, denyAll(), DirectionRules.NOT_ISOLATED),
            open(IDENTITY_REMOTE)));
        harness.now(29 * second);
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)), "29 s idle: within UDP's 30 s, and refreshed");
        harness.now(29 * second + 31 * second);
        assertEquals(DropReason.POLICY_DENIED_INGRESS, fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)),
            "31 s idle: expired, so a new connection under generation 2");
        assertEquals(0, tracker.size());
    }

    @Test
    void shouldEndEstablishedConnectionWhenReevaluationIsOnAndNewGenerationDeniesIt()
    {
        enforcer = new PolicyEnforcer(tracker, true);
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        harness.publishPolicy(policy(2, open(IDENTITY_A), rules(IDENTITY_B, denyAll(), DirectionRules.NOT_ISOLATED),
            open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_B, udp(POD_B, POD_A.ip(), 53, 40000)), "replies are never re-judged");
        assertEquals(DropReason.POLICY_DENIED_INGRESS, fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)),
            "the next packet in the original direction meets the new policy");
        assertEquals(0, tracker.size(), "and the connection is ended");
        assertEquals(ConnectionTracker.MISS, enforcer.lastHandle());
    }

    @Test
    void shouldKeepEstablishedConnectionWhenReevaluationIsOnAndNewGenerationStillAllowsIt()
    {
        enforcer = new PolicyEnforcer(tracker, true);
        harness.publishPolicy(policy(1, open(IDENTITY_A), open(IDENTITY_B), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        harness.publishPolicy(policy(2, open(IDENTITY_A), rules(IDENTITY_B, allowOnly(17, 53, IDENTITY_A),
            DirectionRules.NOT_ISOLATED), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, udp(POD_A, POD_B.ip(), 40000, 53)));
        assertEquals(2, tracker.policyGeneration(enforcer.lastHandle()), "re-judged once, under generation 2");
        assertEquals(1, tracker.size());
    }

    @Test
    void shouldJudgeByPolicyWhenPacketDoesNotFitItsConnectionsState()
    {
        harness.publishPolicy(policy(1, open(IDENTITY_A), rules(IDENTITY_B, allowOnly(6, 80, IDENTITY_A),
            DirectionRules.NOT_ISOLATED), open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, SYN)));
        harness.publishPolicy(policy(2, open(IDENTITY_A), rules(IDENTITY_B, denyAll(), DirectionRules.NOT_ISOLATED),
            open(IDENTITY_REMOTE)));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, SYN)),
            "a retransmitted SYN belongs to the tracked connection");
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), POD_B.ip(), 40000, 80, ACK)),
            "an ACK before any SYN+ACK is invalid for conntrack, so policy judges it");
        assertEquals(1, tracker.size());
    }

    @Test
    void shouldTrackAConnectionFromTheTunnelForItsLocalReceiver()
    {
        harness.publishPolicy(policy(1, rules(IDENTITY_A, allowOnly(6, 443, IDENTITY_REMOTE), denyAll()),
            open(IDENTITY_B), open(IDENTITY_REMOTE)));
        assertNull(fromNode2(tcp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 50000, 443, SYN)));
        assertNull(fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), REMOTE_POD, 443, 50000, SYN | ACK)),
            "A's reply passes its deny-all egress");
        assertEquals(DropReason.POLICY_DENIED_INGRESS,
            run(harness.fromTunnel(NODE_3.vtepIp(), tcp(NODE_3.gatewayMac(), StageFixture.NODE_3_POD, POD_A.ip(),
                50000, 443, SYN))), "a pod of node-3 has no identity A's ingress allows");
    }
}
