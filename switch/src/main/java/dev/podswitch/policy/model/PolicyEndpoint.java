package dev.podswitch.policy.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Something traffic flows between, as NetworkPolicy sees it: a pod (namespace, labels, container
 * ports) or an external host (no namespace, no labels — only ipBlock peers can match it).
 */
public record PolicyEndpoint(Kind kind, String namespace, String name, int ip, Map<String, String> labels,
    List<NamedPort> ports)
{
    public enum Kind
    {
        POD,
        HOST
    }

    public PolicyEndpoint
    {
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        ports = List.copyOf(ports);
    }

    public boolean isPod()
    {
        return kind == Kind.POD;
    }

    /** {@code namespace/name} for pods, the bare name for hosts. */
    public String key()
    {
        return isPod() ? namespace + "/" + name : name;
    }
}
