package dev.podswitch.policy.validation;

import java.util.List;
import java.util.Map;

/**
 * The object-metadata checks every kind shares, for callers outside this package that change
 * labels or name objects directly (the cluster model's label patches and namespace creation),
 * with the API server's rules and wording — the same ones a NetworkPolicy's metadata gets.
 */
public final class MetadataDecoder
{
    /** Labels as decoded, or the errors that make them invalid (then {@code labels} is partial). */
    public record Labels(Map<String, String> labels, List<FieldError> errors)
    {
        public Labels
        {
            labels = Map.copyOf(labels);
            errors = List.copyOf(errors);
        }
    }

    private MetadataDecoder()
    {
    }

    /** A label map: keys qualified names, values label values, reported at {@code path[key]}. */
    public static Labels labels(final Object value, final String path)
    {
        final Decoding decoding = new Decoding();
        final Map<String, String> labels = SelectorDecoder.labels(decoding, value, path);
        return new Labels(labels, decoding.errors());
    }

    /** A namespace's name: an RFC 1123 label, as the API server requires. */
    public static List<FieldError> namespaceName(final String name, final String path)
    {
        if (name == null || name.isEmpty())
        {
            return List.of(new FieldError(path, "Required value: name or generateName is required"));
        }
        return KubeNames.dns1123Label(name).stream()
            .map(problem -> new FieldError(path, "Invalid value: \"" + name + "\": " + problem)).toList();
    }
}
