package dev.podswitch.policy.compile;

import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.SelectorRequirement;

import java.util.Map;

/**
 * The compiler's own label-selector matcher. Deliberately not shared with the reference
 * evaluator, so the differential tests compare two independent readings of the rules.
 */
final class SelectorMatcher
{
    private SelectorMatcher()
    {
    }

    static boolean matches(final LabelSelector selector, final Map<String, String> labels)
    {
        if (selector.isEmpty())
        {
            return true;
        }
        for (final Map.Entry<String, String> pair : selector.matchLabels().entrySet())
        {
            if (!pair.getValue().equals(labels.get(pair.getKey())))
            {
                return false;
            }
        }
        for (final SelectorRequirement requirement : selector.matchExpressions())
        {
            if (!holds(requirement, labels.get(requirement.key())))
            {
                return false;
            }
        }
        return true;
    }

    /** {@code value} is null when the label is absent. */
    private static boolean holds(final SelectorRequirement requirement, final String value)
    {
        return switch (requirement.operator())
        {
            case EXISTS -> value != null;
            case DOES_NOT_EXIST -> value == null;
            case IN -> value != null && requirement.values().contains(value);
            case NOT_IN -> value == null || !requirement.values().contains(value);
        };
    }
}
