package dev.podswitch.scenarios.run;

import dev.podswitch.scenarios.model.MatrixSpec;

import java.util.List;

/** One step's probes (expectations first, then the matrix cells, in order) and its matrix, if any. */
public record StepResult(String name, List<ProbeOutcome> probes, MatrixSpec matrix, List<ProbeOutcome> matrixProbes)
{
    public StepResult
    {
        probes = List.copyOf(probes);
        matrixProbes = List.copyOf(matrixProbes);
    }

    public long mismatches()
    {
        return probes.stream().filter(ProbeOutcome::isMismatch).count();
    }
}
