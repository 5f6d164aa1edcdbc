package dev.podswitch.policy.compile;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The live identities, numbered from 1 (0 is the world: anything that is not a pod), counted by
 * the pods that hold them, and indexed by namespace so a namespace-scoped selector only reads its
 * own namespace. A number whose last pod left is recycled; the compiler patches every table for a
 * recycled number before publishing, so stale bits never reach a pod. Control-plane thread only.
 */
final class Identities
{
    private record Key(String namespace, Map<String, String> labels)
    {
    }

    private final List<Identity> byNumber = new ArrayList<>();
    private final Map<Key, Identity> byKey = new HashMap<>();
    private final Map<String, Set<Identity>> byNamespace = new HashMap<>();
    private final ArrayDeque<Integer> freeNumbers = new ArrayDeque<>();

    Identities()
    {
        byNumber.add(null);
    }

    Identity find(final String namespace, final Map<String, String> labels)
    {
        return byKey.get(new Key(namespace, labels));
    }

    /** A new identity with no pods and no selector matches yet. */
    Identity create(final String namespace, final Map<String, String> labels)
    {
        final Integer free = freeNumbers.pollFirst();
        final int number = free != null ? free : byNumber.size();
        final Identity identity = new Identity(number, namespace, labels);
        if (free != null)
        {
            byNumber.set(number, identity);
        }
        else
        {
            byNumber.add(identity);
        }
        byKey.put(new Key(namespace, labels), identity);
        byNamespace.computeIfAbsent(namespace, ns -> new LinkedHashSet<>()).add(identity);
        return identity;
    }

    void remove(final Identity identity)
    {
        byNumber.set(identity.number, null);
        byKey.remove(new Key(identity.namespace, identity.labels));
        final Set<Identity> inNamespace = byNamespace.get(identity.namespace);
        inNamespace.remove(identity);
        if (inNamespace.isEmpty())
        {
            byNamespace.remove(identity.namespace);
        }
        freeNumbers.addFirst(identity.number);
    }

    Identity byNumber(final int number)
    {
        return byNumber.get(number);
    }

    Collection<Identity> inNamespace(final String namespace)
    {
        return byNamespace.getOrDefault(namespace, Set.of());
    }

    Set<String> namespaces()
    {
        return byNamespace.keySet();
    }

    Collection<Identity> all()
    {
        return byKey.values();
    }

    int count()
    {
        return byKey.size();
    }
}
