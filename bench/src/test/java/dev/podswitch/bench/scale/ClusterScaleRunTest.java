package dev.podswitch.bench.scale;

import dev.podswitch.dataplane.agent.IdleMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The short mode of the scale run: a full matrix of 100 pods on 20 nodes, every probe connected. */
class ClusterScaleRunTest
{
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {0, 2})
    void shouldConnectEveryPairOfTheMatrixWhenShort(final int threads)
    {
        final ClusterScaleRun.Result result = ClusterScaleRun.run(100, threads, IdleMode.BLOCKING);

        assertEquals(100 * 99, result.probes());
        assertEquals(result.probes(), result.connected(), result.toString());
        assertEquals(Map.of(), result.drops());
        assertEquals(0, result.agentErrors());
        assertEquals(threads, result.threads());
    }
}
