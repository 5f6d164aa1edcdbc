package dev.podswitch.control.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A change to an object's labels: kubectl's {@code label k=v k2-} (set some, remove some, keep the
 * rest) or a scenario's {@code labelPod} (replace them all).
 */
public record LabelEdit(Map<String, String> set, Set<String> remove, boolean replaceAll)
{
    public LabelEdit
    {
        set = Map.copyOf(set);
        remove = Set.copyOf(remove);
    }

    public static LabelEdit replace(final Map<String, String> labels)
    {
        return new LabelEdit(labels, Set.of(), true);
    }

    public static LabelEdit patch(final Map<String, String> set, final Set<String> remove)
    {
        return new LabelEdit(set, remove, false);
    }

    public Map<String, String> applyTo(final Map<String, String> labels)
    {
        final Map<String, String> edited = new LinkedHashMap<>(replaceAll ? Map.of() : labels);
        remove.forEach(edited::remove);
        edited.putAll(set);
        return edited;
    }
}
