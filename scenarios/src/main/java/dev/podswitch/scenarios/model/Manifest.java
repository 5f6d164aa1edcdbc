package dev.podswitch.scenarios.model;

import java.nio.file.Path;
import java.util.Map;

/**
 * One Kubernetes object from a manifest file or an inline {@code manifests:} block.
 *
 * <p>{@code body} is the whole document as plain Java values: {@code Map<String, Object>} (in file
 * order), {@code List<Object>}, {@code String}, {@code Integer}/{@code Long}, {@code Double},
 * {@code Boolean} and {@code null}. A quoted {@code "80"} stays a String, as the API server sees it,
 * because NetworkPolicy ports are int-or-string.
 *
 * <p>{@code locationByPath} maps every field path written in the document, in the API server's
 * style ({@code spec.ingress[0].ports[1].endPort}, {@code metadata.labels[app]}), to where its key
 * (or, for a list element, the element) was written, so later validation can point at it. The
 * empty path is the document itself. {@code documentIndex} is 1-based within its file or block.
 * {@code namespace} is as written, null when absent.
 */
public record Manifest(
    String apiVersion,
    String kind,
    String namespace,
    String name,
    Map<String, Object> body,
    SourceLocation where,
    Path file,
    int documentIndex,
    Map<String, SourceLocation> locationByPath)
{
    public Manifest
    {
        body = Maps.orderedCopy(body);
        locationByPath = Maps.orderedCopy(locationByPath);
    }

    /**
     * Where {@code fieldPath} was written or, when the field is absent, where its closest written
     * ancestor was, so a missing field is reported at the object that should hold it.
     */
    public SourceLocation locationOf(final String fieldPath)
    {
        String path = fieldPath;
        while (true)
        {
            final SourceLocation location = locationByPath.get(path);
            if (location != null)
            {
                return location;
            }
            if (path.isEmpty())
            {
                return where;
            }
            path = parentOf(path);
        }
    }

    /** "NetworkPolicy default/db-policy", for messages. */
    public String describe()
    {
        return kind + " " + (namespace == null ? "" : namespace + "/") + name;
    }

    private static String parentOf(final String path)
    {
        // A map key in brackets may itself hold dots: metadata.labels[app.kubernetes.io/name].
        final int cut = path.endsWith("]") ?
            path.lastIndexOf('[') : Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
