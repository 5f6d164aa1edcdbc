package dev.podswitch.control.model;

import dev.podswitch.policy.model.NetworkPolicy;

import java.util.Map;

/**
 * A NetworkPolicy in force: the validated model the compiler reads, and the manifest as it was
 * applied (plain maps, lists and scalars), which is what {@code get -o yaml|json} returns and what
 * a state directory or datastore keeps.
 */
public record StoredPolicy(NetworkPolicy policy, Map<String, Object> manifest)
{
    public String key()
    {
        return policy.key();
    }
}
