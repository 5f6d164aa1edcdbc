package dev.podswitch.scenarios.model;

import java.util.Map;

/**
 * {@code labelNamespace:} replaces the namespace's labels as written; the runtime keeps
 * {@code kubernetes.io/metadata.name}.
 */
public record LabelNamespace(String namespace, Map<String, String> labels, SourceLocation where)
    implements StepAction
{
    public LabelNamespace
    {
        labels = Maps.orderedCopy(labels);
    }
}
