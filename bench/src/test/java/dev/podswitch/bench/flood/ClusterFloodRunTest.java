package dev.podswitch.bench.flood;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flood run's harness, small: it measures what it claims (every flood frame reaches the target
 * while the ring has room, long flows carry traffic, probes are judged) and the counters balance
 * after every round. Whether a flood costs the others anything is the run's finding, not asserted here.
 */
class ClusterFloodRunTest
{
    private static final ClusterFloodRun.Config SMALL = new ClusterFloodRun.Config(12, 512, 4, 2, 16, 16, 4, 2, 0);

    @Test
    void shouldConnectEverythingAndLoseNothingWhenNoPodFloods()
    {
        final FloodResult result = ClusterFloodRun.run(SMALL, FloodKind.NONE);

        assertEquals(12 * 16, result.dnsTried());
        assertEquals(result.dnsTried(), result.dnsOk(), result.toString());
        assertEquals(result.tcpTried(), result.tcpOk(), result.toString());
        assertEquals(12 * 4 * 2 * 2, result.longOffered());
        assertEquals(0, result.longLost());
        assertEquals(Map.of(), result.drops());
        assertTrue(result.balanced(), result.firstUnbalanced());
        assertTrue(result.measuredSomething());
    }

    @ParameterizedTest
    @EnumSource(value = FloodKind.class, names = {"UDP_ANSWERED", "UDP_REFUSED", "TCP_SYN"})
    void shouldDeliverTheWholeFloodAndBalanceEveryRoundWhenThePodFloods(final FloodKind kind)
    {
        final FloodResult result = ClusterFloodRun.run(SMALL, kind);

        assertEquals(12 * 512, result.floodOffered());
        assertEquals(result.floodOffered(), result.floodAccepted());
        assertEquals(result.floodAccepted(), result.framesAtTarget());
        // Answered: an echo, a SYN-ACK, or an ICMP port unreachable for each flood frame.
        assertEquals(result.framesAtTarget(), result.framesAtFlooder());
        assertTrue(result.balanced(), result.firstUnbalanced());
        assertEquals(0, result.misdelivered());
        assertTrue(result.measuredSomething());
    }
}
