package dev.podswitch.scenarios.model;

import java.util.List;

/** {@code delete:} NetworkPolicies by {@code namespace/name}. */
public record DeletePolicies(List<String> namespacedNames, SourceLocation where) implements StepAction
{
    public DeletePolicies
    {
        namespacedNames = List.copyOf(namespacedNames);
    }
}
