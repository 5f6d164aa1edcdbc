package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code CNI_ARGS}: {@code K=V;K=V}. Runtimes send {@code IgnoreUnknown=1;K8S_POD_NAMESPACE=…;
 * K8S_POD_NAME=…;K8S_POD_INFRA_CONTAINER_ID=…}; unknown keys are tolerated whatever IgnoreUnknown
 * says. podswitch reads the pod's namespace and name (so NetworkPolicy can select it) and its labels
 * from {@code PODSWITCH_POD_LABELS=app:web,tier:front} (a value cannot hold {@code =} or {@code ;}).
 */
public record CniArgs(Map<String, String> values)
{
    public static final String POD_NAMESPACE = "K8S_POD_NAMESPACE";
    public static final String POD_NAME = "K8S_POD_NAME";
    public static final String POD_LABELS = "PODSWITCH_POD_LABELS";

    /** @throws CniError code 4 naming the pair that is not {@code K=V}. */
    public static CniArgs parse(final String text)
    {
        final Map<String, String> values = new LinkedHashMap<>();
        if (text != null && !text.isBlank())
        {
            for (final String pair : text.split(";"))
            {
                if (pair.isEmpty())
                {
                    continue;
                }
                final int equals = pair.indexOf('=');
                if (equals <= 0)
                {
                    throw new CniError(CniVersions.INVALID_ENVIRONMENT, "CNI_ARGS is not K=V;K=V",
                        "the pair '" + pair + "' has no key or no '='");
                }
                values.put(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        return new CniArgs(Map.copyOf(values));
    }

    public String get(final String key)
    {
        return values.get(key);
    }

    /** {@code app:web,tier:front} → labels; @throws CniError code 4 for a label that is not key:value. */
    public Map<String, String> labels()
    {
        final Map<String, String> labels = new LinkedHashMap<>();
        final String text = values.get(POD_LABELS);
        if (text != null && !text.isBlank())
        {
            for (final String label : text.split(","))
            {
                final int colon = label.indexOf(':');
                if (colon <= 0)
                {
                    throw new CniError(CniVersions.INVALID_ENVIRONMENT, "CNI_ARGS " + POD_LABELS + " is not key:value,…",
                        "the label '" + label + "' has no key or no ':'");
                }
                labels.put(label.substring(0, colon).strip(), label.substring(colon + 1).strip());
            }
        }
        return labels;
    }
}
