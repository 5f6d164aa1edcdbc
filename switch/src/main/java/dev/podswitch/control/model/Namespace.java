package dev.podswitch.control.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** A namespace and its labels, always with {@code kubernetes.io/metadata.name}, as the API server sets it. */
public record Namespace(String name, Map<String, String> labels)
{
    public static final String METADATA_NAME_LABEL = "kubernetes.io/metadata.name";

    public Namespace
    {
        final Map<String, String> withName = new LinkedHashMap<>(labels);
        withName.put(METADATA_NAME_LABEL, name);
        labels = java.util.Collections.unmodifiableMap(withName);
    }
}
