package dev.podswitch.scenarios.model;

import java.util.Map;

/** {@code labelPod:} replaces the whole label set of the pod {@code namespace/name}. */
public record LabelPod(String pod, Map<String, String> labels, SourceLocation where) implements StepAction
{
    public LabelPod
    {
        labels = Maps.orderedCopy(labels);
    }
}
