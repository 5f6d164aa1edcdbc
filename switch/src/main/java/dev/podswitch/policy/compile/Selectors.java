package dev.podswitch.policy.compile;

import dev.podswitch.policy.model.LabelSelector;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Every distinct selector in use, numbered, with the identities each matches and, on the other
 * side, the selectors each identity matches. Both sides change together: a new selector is
 * evaluated once against the identities in its scope, a new identity once against the selectors
 * that could match it. Control-plane thread only.
 */
final class Selectors
{
    private record Key(String scope, LabelSelector namespaceSelector, LabelSelector podSelector)
    {
    }

    private final Identities identities;
    private final Function<String, Map<String, String>> namespaceLabels;
    private final List<Selector> byId = new ArrayList<>();
    private final Map<Key, Selector> byKey = new HashMap<>();
    private final Map<String, Set<Selector>> scopedByNamespace = new HashMap<>();
    private final Set<Selector> unscoped = new LinkedHashSet<>();
    private final ArrayDeque<Integer> freeIds = new ArrayDeque<>();

    Selectors(final Identities identities, final Function<String, Map<String, String>> namespaceLabels)
    {
        this.identities = identities;
        this.namespaceLabels = namespaceLabels;
    }

    Selector byId(final int id)
    {
        return byId.get(id);
    }

    /** Pods of {@code namespace} matching {@code podSelector}. */
    Selector acquireScoped(final String namespace, final LabelSelector podSelector)
    {
        return acquire(new Key(namespace, null, podSelector));
    }

    /** Pods matching {@code podSelector} in namespaces matching {@code namespaceSelector}. */
    Selector acquireAcrossNamespaces(final LabelSelector namespaceSelector, final LabelSelector podSelector)
    {
        return acquire(new Key(null, namespaceSelector, podSelector));
    }

    private Selector acquire(final Key key)
    {
        final Selector existing = byKey.get(key);
        if (existing != null)
        {
            existing.references++;
            return existing;
        }
        final Integer free = freeIds.pollFirst();
        final Selector selector = new Selector(free != null ? free : byId.size(), key.scope(), key.namespaceSelector(),
            key.podSelector());
        if (free != null)
        {
            byId.set(selector.id, selector);
        }
        else
        {
            byId.add(selector);
        }
        selector.references = 1;
        byKey.put(key, selector);
        if (key.scope() != null)
        {
            scopedByNamespace.computeIfAbsent(key.scope(), ns -> new LinkedHashSet<>()).add(selector);
            for (final Identity identity : identities.inNamespace(key.scope()))
            {
                evaluate(selector, identity);
            }
        }
        else
        {
            unscoped.add(selector);
            for (final String namespace : identities.namespaces())
            {
                final Map<String, String> labels = namespaceLabels.apply(namespace);
                if (SelectorMatcher.matches(selector.namespaceSelector, labels))
                {
                    for (final Identity identity : identities.inNamespace(namespace))
                    {
                        evaluate(selector, identity);
                    }
                }
            }
        }
        return selector;
    }

    private static void evaluate(final Selector selector, final Identity identity)
    {
        if (SelectorMatcher.matches(selector.podSelector, identity.labels))
        {
            selector.identities.set(identity.number);
            identity.selectors.set(selector.id);
        }
    }

    void release(final Selector selector)
    {
        if (--selector.references > 0)
        {
            return;
        }
        for (int number = selector.identities.nextSetBit(0); number >= 0;
            number = selector.identities.nextSetBit(number + 1))
        {
            identities.byNumber(number).selectors.clear(selector.id);
        }
        byKey.remove(new Key(selector.scope, selector.namespaceSelector, selector.podSelector));
        if (selector.scope != null)
        {
            final Set<Selector> scoped = scopedByNamespace.get(selector.scope);
            scoped.remove(selector);
            if (scoped.isEmpty())
            {
                scopedByNamespace.remove(selector.scope);
            }
        }
        else
        {
            unscoped.remove(selector);
        }
        byId.set(selector.id, null);
        freeIds.addFirst(selector.id);
    }

    /** The selectors that match {@code identity} now, each evaluated once. */
    BitSet matching(final Identity identity)
    {
        final BitSet matched = new BitSet();
        for (final Selector selector : scopedByNamespace.getOrDefault(identity.namespace, Set.of()))
        {
            if (SelectorMatcher.matches(selector.podSelector, identity.labels))
            {
                matched.set(selector.id);
            }
        }
        final Map<String, String> labels = namespaceLabels.apply(identity.namespace);
        for (final Selector selector : unscoped)
        {
            if (selector.matches(identity, labels))
            {
                matched.set(selector.id);
            }
        }
        return matched;
    }

    /**
     * Replaces {@code identity}'s selector matches by {@code matched}, keeping each selector's
     * identity set in step. Returns whether anything changed.
     */
    boolean assign(final Identity identity, final BitSet matched)
    {
        if (matched.equals(identity.selectors))
        {
            return false;
        }
        final BitSet changed = (BitSet)identity.selectors.clone();
        changed.xor(matched);
        for (int id = changed.nextSetBit(0); id >= 0; id = changed.nextSetBit(id + 1))
        {
            byId.get(id).identities.set(identity.number, matched.get(id));
        }
        identity.selectors = matched;
        return true;
    }

    /** Forgets {@code identity} (its last pod left). */
    void forget(final Identity identity)
    {
        for (int id = identity.selectors.nextSetBit(0); id >= 0; id = identity.selectors.nextSetBit(id + 1))
        {
            byId.get(id).identities.clear(identity.number);
        }
        identity.selectors = new BitSet();
    }
}
