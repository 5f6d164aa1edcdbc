package dev.podswitch.policy.compile;

import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Security identities: pods with the same namespace and the same labels are indistinguishable to
 * every selector, so they share one identity (numbered from 1; 0 is the world). Selectors compile
 * to sets of identities, computed once per distinct selector and namespace scope.
 */
final class Identities
{
    private record Identity(String namespace, Map<String, String> labels)
    {
    }

    private final PolicyCluster cluster;
    private final List<Identity> byNumber = new ArrayList<>();
    private final Map<Identity, Integer> numberByIdentity = new HashMap<>();
    private final Map<String, BitSet> cache = new HashMap<>();

    Identities(final PolicyCluster cluster)
    {
        this.cluster = cluster;
        byNumber.add(null);
        for (final PolicyEndpoint endpoint : cluster.endpoints())
        {
            if (endpoint.isPod())
            {
                numberOf(endpoint);
            }
        }
    }

    int numberOf(final PolicyEndpoint pod)
    {
        final Identity identity = new Identity(pod.namespace(), new TreeMap<>(pod.labels()));
        return numberByIdentity.computeIfAbsent(identity, key ->
        {
            byNumber.add(key);
            return byNumber.size() - 1;
        });
    }

    int count()
    {
        return byNumber.size() - 1;
    }

    /** Identities in {@code namespace} whose labels the pod selector matches. */
    BitSet podsInNamespace(final String namespace, final LabelSelector podSelector)
    {
        return cache.computeIfAbsent("ns\u0000" + namespace + "\u0000" + podSelector, key ->
        {
            final BitSet matched = new BitSet();
            for (int i = 1; i < byNumber.size(); i++)
            {
                final Identity identity = byNumber.get(i);
                if (identity.namespace().equals(namespace) && SelectorMatcher.matches(podSelector, identity.labels()))
                {
                    matched.set(i);
                }
            }
            return matched;
        });
    }

    /** Identities in namespaces the namespace selector matches, whose labels the pod selector matches. */
    BitSet podsInMatchingNamespaces(final LabelSelector namespaceSelector, final LabelSelector podSelector)
    {
        return cache.computeIfAbsent("sel\u0000" + namespaceSelector + "\u0000" + podSelector, key ->
        {
            final BitSet matched = new BitSet();
            for (int i = 1; i < byNumber.size(); i++)
            {
                final Identity identity = byNumber.get(i);
                if (SelectorMatcher.matches(namespaceSelector, cluster.labelsOfNamespace(identity.namespace()))
                    && SelectorMatcher.matches(podSelector, identity.labels()))
                {
                    matched.set(i);
                }
            }
            return matched;
        });
    }
}
