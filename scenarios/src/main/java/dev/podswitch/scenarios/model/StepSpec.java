package dev.podswitch.scenarios.model;

import java.util.List;

/**
 * One step: its actions in the order they are written, then the probes. {@code matrix} may be null.
 */
public record StepSpec(
    String name,
    List<StepAction> actions,
    List<Expectation> expectations,
    MatrixSpec matrix,
    SourceLocation where)
{
    public StepSpec
    {
        actions = List.copyOf(actions);
        expectations = List.copyOf(expectations);
    }
}
