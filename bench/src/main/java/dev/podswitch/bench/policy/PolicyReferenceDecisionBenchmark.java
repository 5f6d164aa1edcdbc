package dev.podswitch.bench.policy;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.Traffic;
import dev.podswitch.policy.reference.ReferenceEvaluator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The baseline for {@link PolicyCompiledDecisionBenchmark}: the reference evaluator (the spec
 * transcribed literally, every policy read for every packet) on the same clusters and the first
 * 16 of the same packets. The ratio of the two is the compiler's speed-up.
 */
@State(Scope.Thread)
public class PolicyReferenceDecisionBenchmark extends BenchmarkBase
{
    static final int PACKETS = 16;

    @Param({"100", "1000", "10000"})
    public int pods;

    @Param({"10", "100", "1000", "10000"})
    public int policies;

    private PolicyCluster cluster;
    private Traffic[] traffic;
    private int expectedAllowed;

    @Setup(Level.Trial)
    public void generate()
    {
        cluster = SyntheticPolicyCluster.generate(pods, policies, 42);
        traffic = SyntheticPolicyCluster.traffic(cluster, PACKETS, 7);
        expectedAllowed = judgeAll();
    }

    private int judgeAll()
    {
        int allowed = 0;
        for (final Traffic packet : traffic)
        {
            if (ReferenceEvaluator.evaluate(cluster, packet).allowed())
            {
                allowed++;
            }
        }
        return allowed;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int decide()
    {
        final int allowed = judgeAll();
        if (allowed != expectedAllowed)
        {
            throw new IllegalStateException("verdicts changed: " + allowed + " != " + expectedAllowed);
        }
        return allowed;
    }
}
