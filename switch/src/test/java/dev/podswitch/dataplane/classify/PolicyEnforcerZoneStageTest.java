package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.StageFixture;
import dev.podswitch.dataplane.StageHarness;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.conntrack.ConntrackTimeouts;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.util.IntHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.podswitch.dataplane.StageFixture.NOBODY_IN_CLUSTER;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.tcp;
import static dev.podswitch.dataplane.StageFixture.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node's connection tracking shared by its pods: a pod that floods new flows, answered or not,
 * fills only its own share of the table ({@link ConnectionTracker#zoneLimit()}); what it opens
 * beyond is dropped and counted ({@link DropReason#CONNTRACK_ZONE_FULL}), and another pod's
 * unanswered handshake stays tracked, so its reply passes an ingress policy that would deny it as
 * a new connection.
 */
class PolicyEnforcerZoneStageTest
{
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int CAPACITY = 1024;
    private static final int SHARE = CAPACITY / 4;
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_000 * S;

    private final StageHarness harness = StageFixture.harness();
    private final ConnectionTracker tracker = new ConnectionTracker(CAPACITY, ConntrackTimeouts.DEFAULTS, SHARE);
    private final PolicyEnforcer enforcer = new PolicyEnforcer(tracker, false);

    private final StageHarness.Stage admit = (frame, node) ->
    {
        final LocalEndpoint sender = node.table().localByPortId(frame.inPortId());
        return enforcer.admit(frame.meta(), node.policy(), sender != null && sender.kind() == LocalEndpoint.Kind.POD,
            node.table(), node.nowNs());
    };

    /** A and the remote pod open; B's ingress isolated, allowing TCP 80 from A only: a remote pod's packet to B passes only as a reply. */
    @BeforeEach
    void publishPolicy()
    {
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(4);
        final DirectionRules open = DirectionRules.NOT_ISOLATED;
        rulesByIp.put(POD_A.ip(), new PolicyTable.EndpointRules(1, open, open));
        rulesByIp.put(POD_B.ip(), new PolicyTable.EndpointRules(2, new DirectionRules(true,
            new PortRulesBuilder().ports(6, 80, 80, new PeerSetBuilder().identity(1)).build()), open));
        rulesByIp.put(REMOTE_POD, new PolicyTable.EndpointRules(3, open, open));
        harness.publishPolicy(new PolicyTable(1, rulesByIp));
    }

    @AfterEach
    void everyFrameEndsInOneCounter()
    {
        assertTrue(harness.isBalanced(), harness.counters().drops().toString());
    }

    private DropReason fromPort(final LocalEndpoint port, final byte[] bytes, final long nowNs)
    {
        harness.now(nowNs);
        return harness.run(admit, harness.frame(port.portId(), bytes));
    }

    private DropReason fromNode2(final byte[] bytes, final long nowNs)
    {
        harness.now(nowNs);
        final Frame frame = harness.fromTunnel(NODE_2.vtepIp(), bytes);
        return harness.run(admit, frame);
    }

    /** B's handshake to the remote pod: its SYN now, its SYN+ACK back later. */
    private byte[] bSyn()
    {
        return tcp(POD_B.mac(), POD_B.ip(), REMOTE_POD, 40000, 443, SYN);
    }

    private byte[] synAckToB()
    {
        return tcp(NODE_2.gatewayMac(), REMOTE_POD, POD_B.ip(), 443, 40000, SYN | ACK);
    }

    @Test
    void shouldKeepAnotherPodsUnansweredHandshakeAndPassItsReplyWhenOnePodFloodsNewFlows()
    {
        assertNull(fromPort(POD_B, bSyn(), T0));
        // A's flood starts a second later, so each of its entries outlives B's: the entry closest to
        // expiry in a full window is B's.
        int admitted = 0;
        for (int i = 0; i < 4 * CAPACITY; i++)
        {
            final DropReason verdict = fromPort(POD_A, tcp(POD_A.mac(), POD_A.ip(), REMOTE_POD, 1024 + i, 80, SYN),
                T0 + S);
            admitted += verdict == null ? 1 : 0;
        }

        assertNull(fromNode2(synAckToB(), T0 + 2 * S), "B's handshake is still tracked: its reply passes");
        assertEquals(SHARE, admitted, "A opened its share and no more");
        assertEquals(SHARE, tracker.zoneSize(POD_A.ip()));
        assertEquals(1, tracker.zoneSize(POD_B.ip()));
        assertEquals(4 * CAPACITY - SHARE, harness.counters().droppedCount(DropReason.CONNTRACK_ZONE_FULL));
        assertEquals(4 * CAPACITY - SHARE, tracker.counters().zoneFull());
        assertEquals(0, harness.counters().droppedCount(DropReason.POLICY_DENIED_INGRESS));
    }

    @Test
    void shouldKeepTrackingOtherPodsWhenOnePodFillsItsShareWithAssuredFlows()
    {
        int answered = 0;
        for (int i = 0; i < 2 * CAPACITY; i++)
        {
            if (fromPort(POD_A, udp(POD_A, REMOTE_POD, 1024 + i, 53), T0) == null)
            {
                assertNull(fromNode2(udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 53, 1024 + i), T0),
                    "the answer to A's query " + i);
                answered++;
            }
        }

        assertNull(fromPort(POD_B, bSyn(), T0 + S));
        final boolean tracked = enforcer.lastHandle() != ConnectionTracker.MISS;
        assertNull(fromNode2(synAckToB(), T0 + S), "B's connection was tracked, so its reply passes B's ingress");
        assertTrue(tracked, "B's connection is tracked, not forwarded untracked");
        assertEquals(SHARE, answered, "A's answered (assured) flows stop at its share");
        assertEquals(0, tracker.counters().insertFailures(), tracker.counters().toString());
        assertEquals(2 * CAPACITY - SHARE, harness.counters().droppedCount(DropReason.CONNTRACK_ZONE_FULL));
    }

    @Test
    void shouldChargeAnInboundFloodToThePodItTargetsWhenItsSenderIsRemote()
    {
        for (int i = 0; i < CAPACITY; i++)
        {
            fromNode2(tcp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 1024 + i, 22, SYN), T0);
        }
        assertEquals(SHARE, tracker.zoneSize(POD_A.ip()), "A's share, not the whole table");
        assertEquals(CAPACITY - SHARE, harness.counters().droppedCount(DropReason.CONNTRACK_ZONE_FULL));

        assertNull(fromPort(POD_B, bSyn(), T0));
        assertNull(fromNode2(synAckToB(), T0), "B, targeted by nobody, keeps its connections");
        assertNull(fromNode2(udp(NODE_2.gatewayMac(), REMOTE_POD, NOBODY_IN_CLUSTER, 5000, 53), T0));
        assertEquals(1, tracker.zoneSize(ConnectionTracker.FOREIGN_ZONE),
            "for no local endpoint at either end: the shared zone");
    }
}
