package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.DirectionRules;
import dev.podswitch.dataplane.classify.PeerSet;
import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.dataplane.classify.PortRulesBuilder;
import dev.podswitch.policy.model.NamedPort;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one identity's table for one direction: the union of every rule of every policy that
 * selects the identity and isolates that direction, keyed by protocol and port. Peer sets are
 * built once per rule and update ({@link #startUpdate}) and shared by every table that uses the
 * rule. Control-plane thread only.
 */
final class TableBuilder
{
    /** A pod as the compiler tracks it. */
    static final class Pod
    {
        PolicyEndpoint endpoint;
        Identity identity;

        Pod(final PolicyEndpoint endpoint, final Identity identity)
        {
            this.endpoint = endpoint;
            this.identity = identity;
        }
    }

    private final Selectors selectors;
    private final Collection<Pod> pods;
    private final Map<CompiledPolicy.Rule, PeerSetBuilder> peersByRule = new IdentityHashMap<>();
    private final Map<CompiledPolicy.Rule, PeerSet> builtPeersByRule = new IdentityHashMap<>();

    TableBuilder(final Selectors selectors, final Collection<Pod> pods)
    {
        this.selectors = selectors;
        this.pods = pods;
    }

    /** Selector memberships may have changed since the last update: forget the peer sets built then. */
    void startUpdate()
    {
        peersByRule.clear();
        builtPeersByRule.clear();
    }

    /** Builds the egress table and, unless it depends on container ports, the ingress one. */
    void build(final Identity identity)
    {
        identity.dropTables();
        identity.egress = build(identity, PolicyType.EGRESS, null);
        final DirectionRules ingress = build(identity, PolicyType.INGRESS, List.of());
        if (!identity.ingressUsesNamedPorts)
        {
            identity.ingress = ingress;
        }
    }

    /** The ingress table for a pod of {@code identity} serving {@code ports}. */
    DirectionRules ingressFor(final Identity identity, final List<NamedPort> ports)
    {
        if (!identity.ingressUsesNamedPorts)
        {
            return identity.ingress;
        }
        DirectionRules rules = identity.ingressByPorts.get(ports);
        if (rules == null)
        {
            rules = build(identity, PolicyType.INGRESS, ports);
            identity.ingressByPorts.put(ports, rules);
        }
        return rules;
    }

    /** Rebuilds the egress table, whose named ports resolve against other pods. */
    void rebuildEgress(final Identity identity)
    {
        identity.egress = build(identity, PolicyType.EGRESS, null);
    }

    private DirectionRules build(final Identity identity, final PolicyType direction, final List<NamedPort> ports)
    {
        final List<CompiledPolicy> isolating = new ArrayList<>();
        final java.util.BitSet matched = identity.selectors;
        for (int id = matched.nextSetBit(0); id >= 0; id = matched.nextSetBit(id + 1))
        {
            for (final CompiledPolicy policy : selectors.byId(id).subjectOf)
            {
                if (policy.isolates(direction))
                {
                    isolating.add(policy);
                }
            }
        }
        if (isolating.isEmpty())
        {
            return DirectionRules.NOT_ISOLATED;
        }
        final PortRulesBuilder builder = new PortRulesBuilder();
        for (final CompiledPolicy policy : isolating)
        {
            for (final CompiledPolicy.Rule rule : policy.rules(direction))
            {
                addRule(builder, identity, direction, rule, ports);
            }
        }
        return new DirectionRules(true, builder.build());
    }

    private void addRule(final PortRulesBuilder builder, final Identity identity, final PolicyType direction,
        final CompiledPolicy.Rule rule, final List<NamedPort> receiverPorts)
    {
        final PeerSetBuilder peers = peersByRule.computeIfAbsent(rule, CompiledPolicy.Rule::peers);
        if (rule.ports.isEmpty())
        {
            builder.anyProtocol(peers);
            return;
        }
        for (final PolicyPort port : rule.ports)
        {
            final int protocol = port.protocol().number();
            if (port.portName() != null)
            {
                if (direction == PolicyType.INGRESS)
                {
                    identity.ingressUsesNamedPorts = true;
                    for (final NamedPort served : receiverPorts)
                    {
                        if (port.portName().equals(served.name()) && served.protocol() == port.protocol())
                        {
                            builder.ports(protocol, served.port(), served.port(), peers);
                        }
                    }
                }
                else
                {
                    identity.egressUsesNamedPorts = true;
                    addEgressNamedPort(builder, port, builtPeersByRule.computeIfAbsent(rule, r -> peers.build()));
                }
            }
            else if (port.port() == null)
            {
                builder.ports(protocol, 0, 65535, peers);
            }
            else
            {
                builder.ports(protocol, port.port(), port.endPort() == null ? port.port() : port.endPort(), peers);
            }
        }
    }

    /**
     * A named egress port means "that name on whichever destination pod serves it": one /32 per
     * destination. Such a table depends on every pod's address, ports and identity, so the
     * compiler rebuilds it whenever pods or namespace labels change. Egress rules with named ports
     * are rare (a destination's container port name is seldom known to its clients), so this
     * O(pods) rebuild is accepted rather than indexed.
     */
    private void addEgressNamedPort(final PortRulesBuilder builder, final PolicyPort port, final PeerSet peers)
    {
        for (final Pod destination : pods)
        {
            if (!peers.contains(destination.identity.number, destination.endpoint.ip()))
            {
                continue;
            }
            for (final NamedPort served : destination.endpoint.ports())
            {
                if (port.portName().equals(served.name()) && served.protocol() == port.protocol())
                {
                    final long ip = destination.endpoint.ip() & 0xFFFF_FFFFL;
                    builder.ports(port.protocol().number(), served.port(), served.port(),
                        new PeerSetBuilder().range(ip, ip));
                }
            }
        }
    }
}
