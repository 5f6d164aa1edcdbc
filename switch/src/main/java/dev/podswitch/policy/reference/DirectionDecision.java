package dev.podswitch.policy.reference;

import dev.podswitch.policy.model.PolicyType;

import java.util.List;

/**
 * One direction's decision for one packet.
 *
 * @param pod            the pod whose policies decide ({@code ns/name}), or null when that end is
 *                       not a pod (an external host, or an address nobody owns): then nothing
 *                       applies and the direction allows.
 * @param selecting      every policy (ns/name) whose podSelector selects the pod, whatever its types.
 * @param isolating      the selecting policies whose policyTypes include this direction.
 * @param allowedBy      the first rule that allowed the packet, or null.
 */
public record DirectionDecision(PolicyType direction, String pod, List<String> selecting, List<String> isolating,
    RuleMatch allowedBy)
{
    public DirectionDecision
    {
        selecting = List.copyOf(selecting);
        isolating = List.copyOf(isolating);
    }

    public boolean isolated()
    {
        return !isolating.isEmpty();
    }

    public boolean allowed()
    {
        return !isolated() || allowedBy != null;
    }
}
