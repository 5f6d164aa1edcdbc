package dev.podswitch.bench.policy;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long the control plane takes to turn a cluster into tables: a full compile, and the compile
 * after one pod is relabelled (what a relabel costs before its verdicts apply).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PolicyCompileTimeBenchmark extends BenchmarkBase
{
    @Param({"1000", "10000"})
    public int pods;

    @Param({"100", "1000"})
    public int policies;

    private PolicyCluster cluster;
    private PolicyCluster relabelled;

    @Setup(Level.Trial)
    public void generate()
    {
        cluster = SyntheticPolicyCluster.generate(pods, policies, 42);
        final List<PolicyEndpoint> endpoints = new ArrayList<>(cluster.endpoints());
        final PolicyEndpoint first = endpoints.getFirst();
        endpoints.set(0, new PolicyEndpoint(first.kind(), first.namespace(), first.name(), first.ip(),
            Map.of("app", "a7", "tier", "tier1"), first.ports()));
        relabelled = new PolicyCluster(cluster.namespaceLabels(), endpoints, cluster.policies());
    }

    @Benchmark
    public PolicyTable fullCompile()
    {
        return PolicyCompiler.compile(cluster, 1);
    }

    @Benchmark
    public PolicyTable compileAfterRelabel()
    {
        return PolicyCompiler.compile(relabelled, 2);
    }
}
