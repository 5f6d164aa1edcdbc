package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.policy.model.IpBlock;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;

import java.util.ArrayList;
import java.util.List;

/**
 * A policy with its selectors resolved to {@link Selector}s and its ipBlocks cut into ranges:
 * everything about it that does not depend on which pods exist. Holds references on its
 * selectors until {@link #release}.
 */
final class CompiledPolicy
{
    /** One rule: its peers (every peer, or selectors and address ranges) and its ports as written. */
    static final class Rule
    {
        final boolean everyPeer;
        final Selector[] selectors;
        final long[][] ranges;
        final List<PolicyPort> ports;

        private Rule(final boolean everyPeer, final Selector[] selectors, final long[][] ranges,
            final List<PolicyPort> ports)
        {
            this.everyPeer = everyPeer;
            this.selectors = selectors;
            this.ranges = ranges;
            this.ports = ports;
        }

        /** The peers as they stand now (selector memberships change between updates, so build per update). */
        PeerSetBuilder peers()
        {
            final PeerSetBuilder peers = new PeerSetBuilder();
            if (everyPeer)
            {
                return peers.any();
            }
            for (final Selector selector : selectors)
            {
                peers.selector(selector.id, selector.identities);
            }
            for (final long[] range : ranges)
            {
                peers.range(range[0], range[1]);
            }
            return peers;
        }
    }

    final NetworkPolicy policy;
    final Selector subject;
    final Rule[] ingress;
    final Rule[] egress;

    CompiledPolicy(final NetworkPolicy policy, final Selectors selectors)
    {
        this.policy = policy;
        this.subject = selectors.acquireScoped(policy.namespace(), orEverything(policy.podSelector()));
        this.ingress = rules(policy.policyTypes().contains(PolicyType.INGRESS) ? policy.ingress() : List.of(), selectors);
        this.egress = rules(policy.policyTypes().contains(PolicyType.EGRESS) ? policy.egress() : List.of(), selectors);
        subject.subjectOf.add(this);
    }

    boolean isolates(final PolicyType direction)
    {
        return policy.policyTypes().contains(direction);
    }

    Rule[] rules(final PolicyType direction)
    {
        return direction == PolicyType.INGRESS ? ingress : egress;
    }

    void release(final Selectors selectors)
    {
        subject.subjectOf.remove(this);
        selectors.release(subject);
        for (final Rule[] rules : List.of(ingress, egress))
        {
            for (final Rule rule : rules)
            {
                for (final Selector selector : rule.selectors)
                {
                    selectors.release(selector);
                }
            }
        }
    }

    private Rule[] rules(final List<PolicyRule> rules, final Selectors selectors)
    {
        final Rule[] compiled = new Rule[rules.size()];
        for (int r = 0; r < compiled.length; r++)
        {
            final PolicyRule rule = rules.get(r);
            final List<Selector> peerSelectors = new ArrayList<>();
            final List<long[]> ranges = new ArrayList<>();
            for (final PolicyPeer peer : rule.peers())
            {
                if (peer.ipBlock() != null)
                {
                    addIpBlock(ranges, peer.ipBlock());
                }
                else if (peer.namespaceSelector() == null)
                {
                    peerSelectors.add(selectors.acquireScoped(policy.namespace(), orEverything(peer.podSelector())));
                }
                else
                {
                    peerSelectors.add(selectors.acquireAcrossNamespaces(peer.namespaceSelector(),
                        orEverything(peer.podSelector())));
                }
            }
            compiled[r] = new Rule(rule.peers().isEmpty(), peerSelectors.toArray(Selector[]::new),
                ranges.toArray(long[][]::new), rule.ports());
        }
        return compiled;
    }

    private static LabelSelector orEverything(final LabelSelector selector)
    {
        return selector == null ? LabelSelector.EVERYTHING : selector;
    }

    /** The cidr minus every except, as disjoint unsigned ranges. */
    private static void addIpBlock(final List<long[]> into, final IpBlock block)
    {
        List<long[]> ranges = new ArrayList<>();
        ranges.add(bounds(block.cidr()));
        for (final Ipv4Cidr except : block.except())
        {
            final long[] cut = bounds(except);
            final List<long[]> remaining = new ArrayList<>();
            for (final long[] range : ranges)
            {
                if (cut[1] < range[0] || cut[0] > range[1])
                {
                    remaining.add(range);
                    continue;
                }
                if (cut[0] > range[0])
                {
                    remaining.add(new long[] {range[0], cut[0] - 1});
                }
                if (cut[1] < range[1])
                {
                    remaining.add(new long[] {cut[1] + 1, range[1]});
                }
            }
            ranges = remaining;
        }
        into.addAll(ranges);
    }

    private static long[] bounds(final Ipv4Cidr cidr)
    {
        final long first = cidr.network() & 0xFFFF_FFFFL;
        return new long[] {first, first + cidr.size() - 1};
    }
}
