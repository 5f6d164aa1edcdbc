package dev.podswitch.scenarios.model;

import java.util.Map;

/**
 * A namespace and its labels as written. The runtime adds {@code kubernetes.io/metadata.name}, as
 * the API server does; the loader only rejects a file that sets it to another value.
 */
public record NamespaceSpec(String name, Map<String, String> labels, SourceLocation where)
{
    public NamespaceSpec
    {
        labels = Maps.orderedCopy(labels);
    }
}
