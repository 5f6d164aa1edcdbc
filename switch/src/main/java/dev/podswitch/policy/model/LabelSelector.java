package dev.podswitch.policy.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A label selector as written: {@code matchLabels} and {@code matchExpressions}, ANDed. An empty
 * selector ({@code {}}) selects everything; where a selector is absent the model holds null, so
 * the two are never confused. Data only: matching lives with whoever evaluates it (the reference
 * evaluator and the compiler each have their own, so differential tests can compare them).
 */
public record LabelSelector(Map<String, String> matchLabels, List<SelectorRequirement> matchExpressions)
{
    public static final LabelSelector EVERYTHING = new LabelSelector(Map.of(), List.of());

    public LabelSelector
    {
        matchLabels = Collections.unmodifiableMap(new LinkedHashMap<>(matchLabels));
        matchExpressions = List.copyOf(matchExpressions);
    }

    public boolean isEmpty()
    {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }
}
