package dev.podswitch.policy.reference;

import dev.podswitch.policy.model.IpBlock;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NamedPort;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;
import dev.podswitch.policy.model.SelectorRequirement;
import dev.podswitch.policy.model.Traffic;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NetworkPolicy as the Kubernetes API documentation states it, transcribed literally: no indexes,
 * no caches, every policy read for every question. It is slow on purpose and meant to be read
 * beside the documentation; the compiled classifier is tested against it.
 *
 * <p>The rules, in the order the code follows them:
 * <ol>
 * <li>A policy applies to the pods its {@code podSelector} selects in the policy's own namespace
 *     (an empty selector selects every pod there).</li>
 * <li>A pod is isolated for a direction when at least one policy that selects it lists that
 *     direction in its {@code policyTypes}. A pod that is not isolated allows everything.</li>
 * <li>An isolated pod allows a packet when at least one rule, of any of those policies, allows
 *     it: the union of all rules. A rule allows when some peer matches and some port matches.</li>
 * <li>Missing or empty {@code from}/{@code to}: every peer. A peer with podSelector and/or
 *     namespaceSelector matches pods only: podSelector alone means pods of the policy's namespace,
 *     namespaceSelector alone means every pod of the matching namespaces, both means pods matching
 *     the podSelector in namespaces matching the namespaceSelector. An ipBlock matches any
 *     address in its cidr and outside all its excepts — pod IPs included.</li>
 * <li>Missing or empty {@code ports}: every port and every protocol, ICMP too. A port entry
 *     matches its protocol (TCP when omitted) and either every port, one number, a range
 *     {@code port..endPort}, or a name, resolved against the container ports of the pod that
 *     receives the traffic (a name never matches traffic to a host: hosts are not pods). A rule with
 *     ports therefore never allows ICMP.</li>
 * <li>Egress is decided for the sending pod, ingress for the receiving pod; the packet passes
 *     when both allow it. An end that is not a pod has no policies.</li>
 * </ol>
 */
public final class ReferenceEvaluator
{
    private ReferenceEvaluator()
    {
    }

    public static Verdict evaluate(final PolicyCluster cluster, final Traffic traffic)
    {
        final PolicyEndpoint source = cluster.endpointByIp(traffic.sourceIp());
        final PolicyEndpoint destination = cluster.endpointByIp(traffic.destinationIp());
        final DirectionDecision egress = decide(cluster, PolicyType.EGRESS, source, destination, traffic);
        final DirectionDecision ingress = decide(cluster, PolicyType.INGRESS, destination, source, traffic);
        return new Verdict(egress, ingress);
    }

    /**
     * @param subject the pod whose policies decide (the sender for egress, the receiver for ingress)
     * @param peer    the other end (may be null: an address nobody in the lab owns)
     */
    private static DirectionDecision decide(final PolicyCluster cluster, final PolicyType direction,
        final PolicyEndpoint subject, final PolicyEndpoint peer, final Traffic traffic)
    {
        if (subject == null || !subject.isPod())
        {
            return new DirectionDecision(direction, null, List.of(), List.of(), null);
        }
        final List<String> selecting = new ArrayList<>();
        final List<String> isolating = new ArrayList<>();
        RuleMatch allowedBy = null;
        for (final NetworkPolicy policy : cluster.policies())
        {
            if (!policy.namespace().equals(subject.namespace()) || !selects(policy.podSelector(), subject.labels()))
            {
                continue;
            }
            selecting.add(policy.key());
            if (!policy.policyTypes().contains(direction))
            {
                continue;
            }
            isolating.add(policy.key());
            final List<PolicyRule> rules = direction == PolicyType.INGRESS ? policy.ingress() : policy.egress();
            for (int r = 0; r < rules.size() && allowedBy == null; r++)
            {
                allowedBy = ruleAllows(cluster, policy, direction, r, rules.get(r), subject, peer, traffic);
            }
        }
        return new DirectionDecision(direction, subject.key(), selecting, isolating, allowedBy);
    }

    private static RuleMatch ruleAllows(final PolicyCluster cluster, final NetworkPolicy policy,
        final PolicyType direction, final int ruleIndex, final PolicyRule rule, final PolicyEndpoint subject,
        final PolicyEndpoint peer, final Traffic traffic)
    {
        final int peerIndex = matchingPeer(cluster, policy, rule, peer, direction == PolicyType.INGRESS
            ? traffic.sourceIp() : traffic.destinationIp());
        if (peerIndex == NO_MATCH)
        {
            return null;
        }
        // Named ports are resolved against the pod that receives the traffic.
        final PolicyEndpoint receiver = direction == PolicyType.INGRESS ? subject : peer;
        final int portIndex = matchingPort(rule, receiver, traffic);
        if (portIndex == NO_MATCH)
        {
            return null;
        }
        final String field = direction == PolicyType.INGRESS ? "ingress" : "egress";
        return new RuleMatch(policy.key(), field, ruleIndex, peerIndex, portIndex);
    }

    private static final int NO_MATCH = -2;
    private static final int EVERY = -1;

    private static int matchingPeer(final PolicyCluster cluster, final NetworkPolicy policy, final PolicyRule rule,
        final PolicyEndpoint peer, final int peerIp)
    {
        if (rule.peers().isEmpty())
        {
            return EVERY;
        }
        for (int i = 0; i < rule.peers().size(); i++)
        {
            if (peerMatches(cluster, policy, rule.peers().get(i), peer, peerIp))
            {
                return i;
            }
        }
        return NO_MATCH;
    }

    private static boolean peerMatches(final PolicyCluster cluster, final NetworkPolicy policy,
        final PolicyPeer peerSpec, final PolicyEndpoint peer, final int peerIp)
    {
        if (peerSpec.ipBlock() != null)
        {
            return inIpBlock(peerSpec.ipBlock(), peerIp);
        }
        if (peer == null || !peer.isPod())
        {
            return false;
        }
        final boolean namespaceMatches = peerSpec.namespaceSelector() == null
            ? peer.namespace().equals(policy.namespace())
            : selects(peerSpec.namespaceSelector(), cluster.labelsOfNamespace(peer.namespace()));
        final boolean podMatches = peerSpec.podSelector() == null || selects(peerSpec.podSelector(), peer.labels());
        return namespaceMatches && podMatches;
    }

    private static boolean inIpBlock(final IpBlock block, final int ip)
    {
        if (!block.cidr().contains(ip))
        {
            return false;
        }
        for (final Ipv4Cidr except : block.except())
        {
            if (except.contains(ip))
            {
                return false;
            }
        }
        return true;
    }

    private static int matchingPort(final PolicyRule rule, final PolicyEndpoint receiver, final Traffic traffic)
    {
        if (rule.ports().isEmpty())
        {
            return EVERY;
        }
        for (int i = 0; i < rule.ports().size(); i++)
        {
            if (portMatches(rule.ports().get(i), receiver, traffic))
            {
                return i;
            }
        }
        return NO_MATCH;
    }

    private static boolean portMatches(final PolicyPort port, final PolicyEndpoint receiver, final Traffic traffic)
    {
        if (port.protocol().number() != traffic.protocolNumber())
        {
            return false;
        }
        final int number = traffic.destinationPort();
        if (port.portName() != null)
        {
            // A named port is a container port of a pod; a host or an unowned address has none.
            if (receiver == null || !receiver.isPod())
            {
                return false;
            }
            for (final NamedPort served : receiver.ports())
            {
                if (port.portName().equals(served.name()) && served.protocol() == port.protocol() && served.port() == number)
                {
                    return true;
                }
            }
            return false;
        }
        if (port.port() == null)
        {
            return true;
        }
        if (port.endPort() == null)
        {
            return number == port.port();
        }
        return number >= port.port() && number <= port.endPort();
    }

    /** A label selector: every matchLabels pair and every matchExpressions requirement must hold. */
    static boolean selects(final LabelSelector selector, final Map<String, String> labels)
    {
        for (final Map.Entry<String, String> required : selector.matchLabels().entrySet())
        {
            if (!required.getValue().equals(labels.get(required.getKey())))
            {
                return false;
            }
        }
        for (final SelectorRequirement requirement : selector.matchExpressions())
        {
            final boolean present = labels.containsKey(requirement.key());
            final String value = labels.get(requirement.key());
            final boolean holds = switch (requirement.operator())
            {
                case IN -> present && requirement.values().contains(value);
                case NOT_IN -> !present || !requirement.values().contains(value);
                case EXISTS -> present;
                case DOES_NOT_EXIST -> !present;
            };
            if (!holds)
            {
                return false;
            }
        }
        return true;
    }
}
