package dev.podswitch.policy.compile;

import dev.podswitch.policy.model.LabelSelector;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * One distinct pod selection, numbered: either a podSelector scoped to one namespace (a policy's
 * own {@code podSelector}, or a peer with a podSelector alone), or a namespaceSelector with a
 * podSelector (a peer naming namespaces). Policies share a selector when they select the same way;
 * {@code references} counts the uses, and the id is recycled when it drops to zero.
 */
final class Selector
{
    final int id;
    /** The namespace a scoped selector is limited to, or null when {@link #namespaceSelector} decides. */
    final String scope;
    final LabelSelector namespaceSelector;
    final LabelSelector podSelector;
    /** The identities (by number) this selector matches now: {@code identitiesBySelector}. */
    final BitSet identities = new BitSet();
    /** The policies whose own podSelector this is. */
    final List<CompiledPolicy> subjectOf = new ArrayList<>();
    int references;

    Selector(final int id, final String scope, final LabelSelector namespaceSelector, final LabelSelector podSelector)
    {
        this.id = id;
        this.scope = scope;
        this.namespaceSelector = namespaceSelector;
        this.podSelector = podSelector;
    }

    boolean matches(final Identity identity, final Map<String, String> namespaceLabels)
    {
        if (scope != null)
        {
            return scope.equals(identity.namespace) && SelectorMatcher.matches(podSelector, identity.labels);
        }
        return SelectorMatcher.matches(namespaceSelector, namespaceLabels)
            && SelectorMatcher.matches(podSelector, identity.labels);
    }
}
