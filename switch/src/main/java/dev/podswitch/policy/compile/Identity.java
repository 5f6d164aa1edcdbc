package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.policy.model.NamedPort;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A security identity: every pod with this namespace and these labels. Selectors cannot tell such
 * pods apart, so they share the selector matches and the compiled tables. Mutable state of the
 * {@link IncrementalPolicyCompiler} (control-plane thread only); the {@link DirectionRules} it
 * holds are immutable and may already be published.
 */
final class Identity
{
    final int number;
    final String namespace;
    final Map<String, String> labels;
    /** The selectors (by id) that match this identity: {@code matchesBySelector}. */
    BitSet selectors = new BitSet();
    int pods;

    /** Compiled tables; null until built (or after a change that invalidates them). */
    DirectionRules egress;
    /** Ingress when its rules have no named port; else one table per container-port list. */
    DirectionRules ingress;
    final Map<List<NamedPort>, DirectionRules> ingressByPorts = new HashMap<>();
    boolean ingressUsesNamedPorts;
    boolean egressUsesNamedPorts;

    Identity(final int number, final String namespace, final Map<String, String> labels)
    {
        this.number = number;
        this.namespace = namespace;
        this.labels = labels;
    }

    boolean tablesBuilt()
    {
        return egress != null;
    }

    void dropTables()
    {
        egress = null;
        ingress = null;
        ingressByPorts.clear();
        ingressUsesNamedPorts = false;
        egressUsesNamedPorts = false;
    }

    /** Applies {@link DirectionRules#withIdentities} to every table of this identity. */
    void patchTables(final int[] identities, final long[][] selectorMatches)
    {
        if (!tablesBuilt())
        {
            return;
        }
        egress = egress.withIdentities(identities, selectorMatches);
        if (ingress != null)
        {
            ingress = ingress.withIdentities(identities, selectorMatches);
        }
        ingressByPorts.replaceAll((ports, rules) -> rules.withIdentities(identities, selectorMatches));
    }
}
