package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.policy.model.PolicyCluster;

/**
 * One-shot compilation of a {@link PolicyCluster} into the data plane's {@link PolicyTable}: an
 * {@link IncrementalPolicyCompiler} run once from nothing. Long-lived callers that publish a table
 * on every change keep an {@link IncrementalPolicyCompiler} instead, so a change costs what it
 * touches rather than the whole cluster.
 */
public final class PolicyCompiler
{
    private PolicyCompiler()
    {
    }

    public static PolicyTable compile(final PolicyCluster cluster, final long generation)
    {
        return new IncrementalPolicyCompiler(generation - 1).update(cluster);
    }

    /** For tests and reports: how many identities the cluster compiled to. */
    public static int identityCount(final PolicyCluster cluster)
    {
        final IncrementalPolicyCompiler compiler = new IncrementalPolicyCompiler();
        compiler.update(cluster);
        return compiler.identityCount();
    }
}
