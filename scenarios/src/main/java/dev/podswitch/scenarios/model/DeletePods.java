package dev.podswitch.scenarios.model;

import java.util.List;

/** {@code deletePods:} pods by {@code namespace/name}. */
public record DeletePods(List<String> pods, SourceLocation where) implements StepAction
{
    public DeletePods
    {
        pods = List.copyOf(pods);
    }
}
