package dev.podswitch.bench.policy;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.policy.compile.IncrementalPolicyCompiler;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.NetworkPolicy;
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
 * How long the control plane takes from a cluster change to tables the data plane can pick up:
 * <ul>
 * <li>{@code fullCompile}: the whole cluster from nothing (start-up, or a one-shot compile);</li>
 * <li>{@code relabelOnePod}: an incremental update after one pod's labels change. Each invocation
 *     toggles the pod between its own labels and a label set no other pod has, so every other
 *     invocation creates an identity (its selectors evaluated, its tables built, every other
 *     table patched) and the next one frees it — the expensive kind of relabel; a relabel onto an
 *     identity that already exists only moves the pod's IP entry;</li>
 * <li>{@code applyOnePolicy}: an incremental update after one policy is replaced (kubectl apply of a
 *     changed policy), toggling between two versions so each invocation is a real change.</li>
 * </ul>
 * Each incremental figure includes the diff of the whole snapshot against the previous one.
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
    private PolicyCluster withPolicyA;
    private PolicyCluster withPolicyB;
    private IncrementalPolicyCompiler relabelCompiler;
    private IncrementalPolicyCompiler applyCompiler;
    private boolean relabelToggle;
    private boolean applyToggle;

    @Setup(Level.Trial)
    public void generate()
    {
        cluster = SyntheticPolicyCluster.generate(pods, policies, 42);
        final List<PolicyEndpoint> endpoints = new ArrayList<>(cluster.endpoints());
        final PolicyEndpoint first = endpoints.getFirst();
        endpoints.set(0, new PolicyEndpoint(first.kind(), first.namespace(), first.name(), first.ip(),
            Map.of("app", "a7", "tier", "tier1", "canary", "true"), first.ports()));
        relabelled = new PolicyCluster(cluster.namespaceLabels(), endpoints, cluster.policies());

        final NetworkPolicy a = SyntheticPolicyCluster.policy(1, "applied");
        final NetworkPolicy generatedB = SyntheticPolicyCluster.policy(2, "applied");
        final NetworkPolicy b = new NetworkPolicy(a.namespace(), a.name(), a.podSelector(), a.policyTypes(),
            generatedB.ingress(), a.egress());
        withPolicyA = withPolicy(a);
        withPolicyB = withPolicy(b);

        relabelCompiler = new IncrementalPolicyCompiler();
        relabelCompiler.update(cluster);
        applyCompiler = new IncrementalPolicyCompiler();
        applyCompiler.update(withPolicyA);
    }

    private PolicyCluster withPolicy(final NetworkPolicy policy)
    {
        final List<NetworkPolicy> list = new ArrayList<>(cluster.policies());
        list.add(policy);
        return new PolicyCluster(cluster.namespaceLabels(), cluster.endpoints(), list);
    }

    @Benchmark
    public PolicyTable fullCompile()
    {
        return PolicyCompiler.compile(cluster, 1);
    }

    @Benchmark
    public PolicyTable relabelOnePod()
    {
        relabelToggle = !relabelToggle;
        return relabelCompiler.update(relabelToggle ? relabelled : cluster);
    }

    @Benchmark
    public PolicyTable applyOnePolicy()
    {
        applyToggle = !applyToggle;
        return applyCompiler.update(applyToggle ? withPolicyB : withPolicyA);
    }
}
