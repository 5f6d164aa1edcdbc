package dev.podswitch.control.model;

import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster model at one revision, immutable: what readers (the API's GETs, reports, explain)
 * see without holding the model's lock. Maps keep the order objects were created in.
 */
public record ModelSnapshot(long revision, Map<String, Namespace> namespaces, Map<String, Pod> pods,
    Map<String, Host> hosts, Map<String, StoredPolicy> policies)
{
    public ModelSnapshot
    {
        namespaces = Collections.unmodifiableMap(new LinkedHashMap<>(namespaces));
        pods = Collections.unmodifiableMap(new LinkedHashMap<>(pods));
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
        policies = Collections.unmodifiableMap(new LinkedHashMap<>(policies));
    }

    static ModelSnapshot empty()
    {
        return new ModelSnapshot(0, Map.of(), Map.of(), Map.of(), Map.of());
    }

    /**
     * Everything NetworkPolicy verdicts depend on: namespaces with their labels, pods then hosts
     * with their addresses and named ports, and the policies — what the compiler and the reference
     * evaluator take.
     */
    public PolicyCluster policyCluster()
    {
        final Map<String, Map<String, String>> namespaceLabels = new LinkedHashMap<>();
        namespaces.forEach((name, namespace) -> namespaceLabels.put(name, namespace.labels()));
        final List<PolicyEndpoint> endpoints = new ArrayList<>(pods.size() + hosts.size());
        for (final Pod pod : pods.values())
        {
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.POD, pod.namespace(), pod.name(), pod.ip(), pod.labels(),
                pod.ports()));
        }
        for (final Host host : hosts.values())
        {
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.HOST, null, host.name(), host.ip(), Map.of(),
                host.serves()));
        }
        final List<NetworkPolicy> networkPolicies = new ArrayList<>(policies.size());
        policies.values().forEach(stored -> networkPolicies.add(stored.policy()));
        return new PolicyCluster(namespaceLabels, endpoints, networkPolicies);
    }

    /** The pod or host with this IP, or null. */
    public String ownerOf(final int ip)
    {
        for (final Pod pod : pods.values())
        {
            if (pod.ip() == ip)
            {
                return pod.key();
            }
        }
        for (final Host host : hosts.values())
        {
            if (host.ip() == ip)
            {
                return host.name();
            }
        }
        return null;
    }

}
