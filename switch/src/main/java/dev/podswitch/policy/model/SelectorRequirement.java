package dev.podswitch.policy.model;

import java.util.List;

/** One {@code matchExpressions} entry; {@code values} is empty for Exists and DoesNotExist. */
public record SelectorRequirement(String key, SelectorOperator operator, List<String> values)
{
    public SelectorRequirement
    {
        values = List.copyOf(values);
    }
}
