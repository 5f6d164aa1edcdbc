package dev.podswitch.scenarios.model;

import java.util.List;

/**
 * {@code apply:} (files) or {@code manifests:} (inline): like {@code kubectl apply}, each manifest
 * creates its object or replaces the one with the same kind and namespace/name.
 */
public record ApplyManifests(List<Manifest> manifests, SourceLocation where) implements StepAction
{
    public ApplyManifests
    {
        manifests = List.copyOf(manifests);
    }
}
