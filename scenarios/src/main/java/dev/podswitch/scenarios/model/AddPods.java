package dev.podswitch.scenarios.model;

import java.util.List;

/** {@code addPods:} pods in the same form as the top-level {@code pods:}. */
public record AddPods(List<PodSpec> pods, SourceLocation where) implements StepAction
{
    public AddPods
    {
        pods = List.copyOf(pods);
    }
}
