package dev.podswitch.agent.metrics;

import dev.podswitch.control.model.ClusterModel;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * {@code podswitch_policy_compile_seconds}: how long each apply's incremental policy compile took,
 * as the cluster model tells its {@link ClusterModel.CompileTimer} (once per apply: control plane).
 */
public final class PolicyCompileMetrics implements ClusterModel.CompileTimer
{
    /** An apply that changes one policy compiles in well under a millisecond; a restore of thousands takes seconds. */
    private static final double[] BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        0.5, 1, 2.5, 5, 10};

    private final Histogram compiles;

    private PolicyCompileMetrics(final Histogram compiles)
    {
        this.compiles = compiles;
    }

    public static PolicyCompileMetrics register(final PrometheusRegistry registry)
    {
        return new PolicyCompileMetrics(Histogram.builder().name("podswitch_policy_compile_seconds").unit(Unit.SECONDS)
            .help("Time each apply to the cluster model spent compiling NetworkPolicy incrementally.")
            .classicOnly().classicUpperBounds(BOUNDS).register(registry));
    }

    @Override
    public void compiled(final double seconds)
    {
        compiles.observe(seconds);
    }
}
