package dev.podswitch.agent.api;

import dev.podswitch.control.model.LabelEdit;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A JSON merge patch of an object's labels, as {@code kubectl label} sends it:
 * {@code {"metadata":{"labels":{"app":"web","tier":null}}}} sets {@code app} and removes {@code tier}.
 * Anything else in the patch is refused: labels are the only thing these objects let you change.
 */
final class LabelPatch
{
    private LabelPatch()
    {
    }

    static LabelEdit from(final Map<String, Object> patch) throws ApiError
    {
        for (final String field : patch.keySet())
        {
            if (!field.equals("metadata") && !field.equals("apiVersion") && !field.equals("kind"))
            {
                throw ApiError.invalidField(field.isEmpty() ? "[\"\"]" : field,
                    "Forbidden: only metadata.labels may be patched");
            }
        }
        if (!(patch.get("metadata") instanceof final Map<?, ?> metadata))
        {
            throw ApiError.invalidField("metadata", "Required value: the patch must set metadata.labels");
        }
        for (final Object field : metadata.keySet())
        {
            if (!"labels".equals(field))
            {
                throw ApiError.invalidField("metadata." + field, "Forbidden: only metadata.labels may be patched");
            }
        }
        if (!(metadata.get("labels") instanceof final Map<?, ?> labels))
        {
            throw ApiError.invalidField("metadata.labels", "Invalid value: must be an object of label keys to values "
                + "(null removes a label)");
        }
        final Map<String, String> set = new LinkedHashMap<>();
        final Set<String> remove = new HashSet<>();
        for (final Map.Entry<?, ?> label : labels.entrySet())
        {
            final String key = String.valueOf(label.getKey());
            if (label.getValue() == null)
            {
                remove.add(key);
            }
            else if (label.getValue() instanceof final String value)
            {
                set.put(key, value);
            }
            else
            {
                throw ApiError.invalidField("metadata.labels[" + key + "]", "Invalid value: " + label.getValue()
                    + ": a label value must be a string");
            }
        }
        return LabelEdit.patch(set, remove);
    }
}
