package dev.podswitch.policy.model;

import java.util.List;
import java.util.Set;

/**
 * A validated {@code networking.k8s.io/v1} NetworkPolicy with its defaults applied:
 * {@code policyTypes} is never empty (Ingress, plus Egress when there are egress rules, as the API
 * server defaults it).
 */
public record NetworkPolicy(String namespace, String name, LabelSelector podSelector, Set<PolicyType> policyTypes,
    List<PolicyRule> ingress, List<PolicyRule> egress)
{
    public NetworkPolicy
    {
        policyTypes = Set.copyOf(policyTypes);
        ingress = List.copyOf(ingress);
        egress = List.copyOf(egress);
    }

    /** {@code namespace/name}. */
    public String key()
    {
        return namespace + "/" + name;
    }
}
