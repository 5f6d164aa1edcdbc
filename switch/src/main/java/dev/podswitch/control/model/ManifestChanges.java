package dev.podswitch.control.model;

import dev.podswitch.policy.validation.FieldError;
import dev.podswitch.policy.validation.MetadataDecoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes manifests (plain maps, as a JSON or YAML reader gives them) as cluster changes: a
 * NetworkPolicy is applied, a Namespace created or relabelled. A {@code List} (kind {@code List},
 * {@code items}) becomes one change per item, in order. Every front that takes manifests — the
 * control API, a restore, a datastore — converts them here, so they accept and refuse the same.
 */
public final class ManifestChanges
{
    /** The kinds a daemon applies; pods are made by the CNI plugin or a scenario, not by manifests. */
    public static final List<String> KINDS = List.of("NetworkPolicy", "Namespace");

    private ManifestChanges()
    {
    }

    /** A {@code List} of manifests or one manifest; every item is checked before any problem is thrown. */
    public static List<ClusterChange> of(final Map<String, Object> document) throws ModelException
    {
        if (!"List".equals(document.get("kind")))
        {
            return List.of(of(document, 0, ""));
        }
        if (!(document.get("items") instanceof final List<?> items))
        {
            throw new ModelException(ModelException.Reason.INVALID, List.of(new ModelException.Problem(0, "List",
                new FieldError("items", "Required value: a List needs its items"))));
        }
        final List<ClusterChange> changes = new ArrayList<>(items.size());
        final List<ModelException.Problem> problems = new ArrayList<>();
        for (int i = 0; i < items.size(); i++)
        {
            try
            {
                changes.add(of(asObject(items.get(i), i), i, "items[" + i + "]."));
            }
            catch (final ModelException refused)
            {
                problems.addAll(refused.problems());
            }
        }
        if (!problems.isEmpty())
        {
            throw new ModelException(ModelException.Reason.INVALID, problems);
        }
        return changes;
    }

    private static Map<String, Object> asObject(final Object item, final int index) throws ModelException
    {
        if (item instanceof final Map<?, ?> map)
        {
            @SuppressWarnings("unchecked")
            final Map<String, Object> object = (Map<String, Object>)map;
            return object;
        }
        throw refused(index, "items[" + index + "]", "items[" + index + "]",
            "Invalid value: each item must be an object (a manifest)");
    }

    /** One manifest; {@code prefix} is put before field paths (e.g. {@code items[2].}). */
    public static ClusterChange of(final Map<String, Object> manifest, final int index, final String prefix)
        throws ModelException
    {
        final Object kind = manifest.get("kind");
        final Object apiVersion = manifest.get("apiVersion");
        if ("NetworkPolicy".equals(kind))
        {
            if (!"networking.k8s.io/v1".equals(apiVersion))
            {
                throw refused(index, "NetworkPolicy", prefix + "apiVersion", "Unsupported value: \"" + apiVersion
                    + "\": supported values: \"networking.k8s.io/v1\"");
            }
            return new ClusterChange.ApplyNetworkPolicy(manifest);
        }
        if ("Namespace".equals(kind))
        {
            if (!"v1".equals(apiVersion))
            {
                throw refused(index, "Namespace", prefix + "apiVersion",
                    "Unsupported value: \"" + apiVersion + "\": supported values: \"v1\"");
            }
            return namespace(manifest, index, prefix);
        }
        throw refused(index, kind == null ? "(no kind)" : String.valueOf(kind), prefix + "kind",
            kind == null ? "Required value: every manifest names its kind"
                : "Unsupported value: \"" + kind + "\": the daemon applies " + String.join(" and ", KINDS)
                    + "; pods come from the CNI plugin (or a scenario)");
    }

    private static ClusterChange namespace(final Map<String, Object> manifest, final int index, final String prefix)
        throws ModelException
    {
        final Object metadata = manifest.get("metadata");
        if (!(metadata instanceof final Map<?, ?> fields))
        {
            throw refused(index, "Namespace", prefix + "metadata", "Required value: a Namespace needs metadata.name");
        }
        final Object name = fields.get("name");
        if (!(name instanceof final String text))
        {
            throw refused(index, "Namespace", prefix + "metadata.name", "Required value: name is required");
        }
        final MetadataDecoder.Labels labels = MetadataDecoder.labels(fields.get("labels"), prefix + "metadata.labels");
        if (!labels.errors().isEmpty())
        {
            final List<ModelException.Problem> problems = new ArrayList<>();
            labels.errors().forEach(error -> problems.add(new ModelException.Problem(index, "namespace " + text, error)));
            throw new ModelException(ModelException.Reason.INVALID, problems);
        }
        return new ClusterChange.PutNamespace(text, labels.labels());
    }

    private static ModelException refused(final int index, final String subject, final String path, final String message)
    {
        return new ModelException(ModelException.Reason.INVALID,
            List.of(new ModelException.Problem(index, subject, new FieldError(path, message))));
    }
}
