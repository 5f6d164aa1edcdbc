package dev.podswitch.policy.model;

/**
 * One {@code from}/{@code to} entry. Exactly one of the three shapes is valid: podSelector and/or
 * namespaceSelector (both present = AND), or ipBlock alone. Absent fields are null.
 */
public record PolicyPeer(LabelSelector podSelector, LabelSelector namespaceSelector, IpBlock ipBlock)
{
}
