package dev.podswitch.scenarios.model;

/** Something a step does to the cluster before its probes run. */
public sealed interface StepAction permits ApplyManifests, DeletePolicies, LabelPod, LabelNamespace, AddPods, DeletePods
{
    SourceLocation where();
}
