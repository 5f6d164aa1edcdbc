package dev.podswitch.policy.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything NetworkPolicy verdicts depend on, as one immutable snapshot: namespaces with their
 * labels, endpoints (pods and hosts) and policies. Both evaluators — the reference and the
 * compiler — take exactly this, so they can be compared on the same input.
 */
public record PolicyCluster(Map<String, Map<String, String>> namespaceLabels, List<PolicyEndpoint> endpoints,
    List<NetworkPolicy> policies)
{
    public PolicyCluster
    {
        final Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        namespaceLabels.forEach((namespace, labels) -> copy.put(namespace, Map.copyOf(labels)));
        namespaceLabels = Collections.unmodifiableMap(copy);
        endpoints = List.copyOf(endpoints);
        policies = List.copyOf(policies);
    }

    /** The endpoint with this IP, or null (an address nobody in the lab owns). */
    public PolicyEndpoint endpointByIp(final int ip)
    {
        for (final PolicyEndpoint endpoint : endpoints)
        {
            if (endpoint.ip() == ip)
            {
                return endpoint;
            }
        }
        return null;
    }

    public Map<String, String> labelsOfNamespace(final String namespace)
    {
        return namespaceLabels.getOrDefault(namespace, Map.of());
    }
}
