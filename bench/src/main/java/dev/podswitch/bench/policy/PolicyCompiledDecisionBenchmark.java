package dev.podswitch.bench.policy;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.policy.compile.PolicyCompiler;
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
 * Decisions per second of the compiled classifier: the first-packet verdict (egress of the sender
 * and ingress of the receiver) for a fixed set of 1,024 random packets, across cluster sizes and
 * policy counts. One invocation judges all 1,024 and checks the number allowed against the
 * reference evaluator's count for the same packets, so a fast wrong answer fails the run.
 */
@State(Scope.Thread)
public class PolicyCompiledDecisionBenchmark extends BenchmarkBase
{
    static final int PACKETS = 1024;

    @Param({"100", "1000", "10000"})
    public int pods;

    @Param({"10", "100", "1000", "10000"})
    public int policies;

    private PolicyTable table;
    private int[] sources;
    private int[] destinations;
    private int[] protocols;
    private int[] ports;
    private int expectedAllowed;

    @Setup(Level.Trial)
    public void compile()
    {
        final PolicyCluster cluster = SyntheticPolicyCluster.generate(pods, policies, 42);
        table = PolicyCompiler.compile(cluster, 1);
        final Traffic[] traffic = SyntheticPolicyCluster.traffic(cluster, PACKETS, 7);
        sources = new int[PACKETS];
        destinations = new int[PACKETS];
        protocols = new int[PACKETS];
        ports = new int[PACKETS];
        for (int i = 0; i < PACKETS; i++)
        {
            sources[i] = traffic[i].sourceIp();
            destinations[i] = traffic[i].destinationIp();
            protocols[i] = traffic[i].protocolNumber();
            ports[i] = traffic[i].destinationPort();
            if (ReferenceEvaluator.evaluate(cluster, traffic[i]).allowed())
            {
                expectedAllowed++;
            }
        }
        final int allowed = judgeAll();
        if (allowed != expectedAllowed)
        {
            throw new IllegalStateException("compiled allows " + allowed + " of " + PACKETS + ", reference "
                + expectedAllowed);
        }
    }

    private int judgeAll()
    {
        int allowed = 0;
        for (int i = 0; i < PACKETS; i++)
        {
            if (table.check(sources[i], destinations[i], protocols[i], ports[i], true, true) == PolicyTable.ALLOW)
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
