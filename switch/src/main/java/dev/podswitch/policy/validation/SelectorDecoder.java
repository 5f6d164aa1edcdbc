package dev.podswitch.policy.validation;

import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.SelectorOperator;
import dev.podswitch.policy.model.SelectorRequirement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.podswitch.policy.validation.Decoding.field;
import static dev.podswitch.policy.validation.Decoding.index;

/**
 * Label maps and label selectors, checked as apimachinery's ValidateLabels and
 * ValidateLabelSelector do for a create (so In/NotIn values must be valid label values too).
 */
final class SelectorDecoder
{
    private static final List<String> SELECTOR_FIELDS = List.of("matchLabels", "matchExpressions");
    private static final List<String> REQUIREMENT_FIELDS = List.of("key", "operator", "values");
    private static final List<String> OPERATORS =
        Arrays.stream(SelectorOperator.values()).map(SelectorOperator::apiName).toList();

    private SelectorDecoder()
    {
    }

    /** Null when the selector is absent or null: for peers, absent and {} mean different things. */
    static LabelSelector selector(final Decoding decoding, final Object value, final String path)
    {
        final Map<String, Object> selector = decoding.object(value, path, "LabelSelector", SELECTOR_FIELDS, false);
        if (selector == null)
        {
            return null;
        }
        final Map<String, String> matchLabels = labels(decoding, selector.get("matchLabels"), field(path, "matchLabels"));
        final List<SelectorRequirement> requirements = new ArrayList<>();
        final String expressionsPath = field(path, "matchExpressions");
        final List<Object> expressions = decoding.list(selector.get("matchExpressions"), expressionsPath);
        for (int i = 0; i < expressions.size(); i++)
        {
            final SelectorRequirement requirement = requirement(decoding, expressions.get(i), index(expressionsPath, i));
            if (requirement != null)
            {
                requirements.add(requirement);
            }
        }
        return new LabelSelector(matchLabels, requirements);
    }

    /** Labels: each key a qualified name, each value a label value (both reported at {@code path[key]}). */
    static Map<String, String> labels(final Decoding decoding, final Object value, final String path)
    {
        final Map<String, String> labels = decoding.stringMap(value, path);
        for (final Map.Entry<String, String> label : labels.entrySet())
        {
            final String keyPath = Decoding.child(path, label.getKey());
            for (final String problem : KubeNames.qualifiedName(label.getKey()))
            {
                decoding.invalid(keyPath, label.getKey(), "label key " + problem);
            }
            for (final String problem : KubeNames.labelValue(label.getValue()))
            {
                decoding.invalid(keyPath, label.getValue(), problem);
            }
        }
        return labels;
    }

    private static SelectorRequirement requirement(final Decoding decoding, final Object value, final String path)
    {
        final Map<String, Object> fields =
            decoding.object(value, path, "LabelSelectorRequirement", REQUIREMENT_FIELDS, true);
        final String key = orEmpty(decoding.string(fields.get("key"), field(path, "key")));
        final String operatorName = orEmpty(decoding.string(fields.get("operator"), field(path, "operator")));
        final String valuesPath = field(path, "values");
        final List<Object> rawValues = decoding.list(fields.get("values"), valuesPath);
        final List<String> values = new ArrayList<>(rawValues.size());
        for (int i = 0; i < rawValues.size(); i++)
        {
            values.add(orEmpty(decoding.string(rawValues.get(i), index(valuesPath, i))));
        }

        final SelectorOperator operator = SelectorOperator.ofApiName(operatorName);
        if (operator == null)
        {
            decoding.invalid(field(path, "operator"), operatorName, "not a valid selector operator; use one of " +
                String.join(", ", OPERATORS) + caseHint(operatorName));
        }
        else if ((operator == SelectorOperator.IN || operator == SelectorOperator.NOT_IN) && values.isEmpty())
        {
            decoding.required(valuesPath, "must be specified when `operator` is 'In' or 'NotIn'");
        }
        else if ((operator == SelectorOperator.EXISTS || operator == SelectorOperator.DOES_NOT_EXIST) && !values.isEmpty())
        {
            decoding.forbidden(valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        }
        for (final String problem : KubeNames.qualifiedName(key))
        {
            decoding.invalid(field(path, "key"), key, problem);
        }
        for (int i = 0; i < values.size(); i++)
        {
            for (final String problem : KubeNames.labelValue(values.get(i)))
            {
                decoding.invalid(index(valuesPath, i), values.get(i), problem);
            }
        }
        return operator == null ? null : new SelectorRequirement(key, operator, values);
    }

    private static String caseHint(final String operatorName)
    {
        for (final String operator : OPERATORS)
        {
            if (operator.equalsIgnoreCase(operatorName))
            {
                return " (operators are case-sensitive: write " + operator + ")";
            }
        }
        return "";
    }

    private static String orEmpty(final String text)
    {
        return text == null ? "" : text;
    }
}
