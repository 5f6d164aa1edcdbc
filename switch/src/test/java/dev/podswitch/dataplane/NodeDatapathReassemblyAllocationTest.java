package dev.podswitch.dataplane;

import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.classify.PortRulesBuilder;
import dev.podswitch.dataplane.packet.TestFrames;
import dev.podswitch.dataplane.reassembly.Fragments;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.util.IntHashMap;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.LOCAL_VTEP;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.VNI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The no-allocation rule (STYLE §2.1) for fragments through a whole node: holding them, judging
 * the datagram, forwarding or dropping every fragment, and refusing duplicates, measured with the
 * JVM's per-thread allocation counter after warm-up (the reassembly memory is taken on the first
 * fragment, once). Not a timing test.
 */
class NodeDatapathReassemblyAllocationTest
{
    private static final int UDP = 17;
    /** Slack for the measurement itself; a per-fragment allocation would show as megabytes. */
    private static final long TOLERANCE_BYTES = 4_096;

    @Test
    void shouldAllocateNothingWhenReassemblingAndForwardingFragmentsAfterWarmUp()
    {
        final boolean supported = ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
            && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled();
        assumeTrue(supported, "this JVM does not count allocated bytes per thread");
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

        final NodeDatapath node = new NodeDatapath("node-1", 64, Frame.EMULATED_CAPACITY, LOCAL_VTEP, VNI, null,
            StageFixture.table(1), new DistinctErrorLog());
        final long[] delivered = new long[1];
        for (final String name : new String[] {"a", "b", "h"})
        {
            node.addMemoryPort(name, (frame, offset, length) -> delivered[0]++);
        }
        final IntHashMap<PolicyTable.EndpointRules> rulesByIp = new IntHashMap<>(4);
        rulesByIp.put(POD_B.ip(), new PolicyTable.EndpointRules(2, new DirectionRules(true, new PortRulesBuilder()
            .ports(UDP, 53, 53, new PeerSetBuilder().identity(1)).build()), DirectionRules.NOT_ISOLATED));
        rulesByIp.put(POD_A.ip(), new PolicyTable.EndpointRules(1, DirectionRules.NOT_ISOLATED,
            DirectionRules.NOT_ISOLATED));
        node.publishPolicy(new PolicyTable(1, rulesByIp));

        final List<Frame> frames = new ArrayList<>();
        final byte[] allowed = TestFrames.udp(POD_A.ip(), POD_B.ip(), 5353, 53, Fragments.pattern(3_000));
        final byte[] denied = TestFrames.udp(POD_A.ip(), POD_B.ip(), 5353, 54, Fragments.pattern(3_000));
        final List<byte[]> allowedFragments = Fragments.cut(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), POD_B.ip(), UDP, 1,
            allowed, 1_480);
        for (final byte[] fragment : allowedFragments)
        {
            frames.add(frame(fragment));
        }
        frames.add(1, frame(allowedFragments.getFirst()));
        for (final byte[] fragment : Fragments.cut(POD_A.mac(), GATEWAY_MAC, POD_A.ip(), POD_B.ip(), UDP, 2, denied,
            1_480))
        {
            frames.add(frame(fragment));
        }
        final long[] nowNs = {1_000_000_000L};

        for (int round = 0; round < 20_000; round++)
        {
            run(node, frames, nowNs);
        }
        final long deliveredBefore = delivered[0];
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int round = 0; round < 50_000; round++)
        {
            run(node, frames, nowNs);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertEquals(50_000L * allowedFragments.size(), delivered[0] - deliveredBefore, "the loop did real work");
        assertTrue(node.counters().droppedCount(DropReason.POLICY_DENIED_INGRESS) > 0
            && node.counters().droppedCount(DropReason.FRAGMENT_DUPLICATE) > 0, node.counters().drops().toString());
        assertEquals(0, node.reassembly().heldFragments());
        assertTrue(node.counters().isBalanced(), node.counters().drops().toString());
        assertTrue(allocated < TOLERANCE_BYTES, "allocated " + allocated + " bytes over " + 50_000 * frames.size()
            + " fragments");
        node.close();
    }

    /** One batch: the allowed datagram's fragments (its first one twice in a row), then the denied one's. */
    private static void run(final NodeDatapath node, final List<Frame> frames, final long[] nowNs)
    {
        node.beginBatch(nowNs[0]);
        for (int i = 0; i < frames.size(); i++)
        {
            node.handle(frames.get(i));
        }
        node.endBatch(frames.size());
        nowNs[0] += 1_000_000L;
    }

    private static Frame frame(final byte[] bytes)
    {
        final Frame frame = new Frame(Frame.EMULATED_CAPACITY);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, frame.segment(), 0, bytes.length);
        frame.length(bytes.length);
        frame.inPortId(POD_A.portId());
        return frame;
    }
}
