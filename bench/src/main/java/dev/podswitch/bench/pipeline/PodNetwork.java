package dev.podswitch.bench.pipeline;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.tunnel.MemoryUnderlay;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The smallest pod network a packet can cross: pod A (client) and pod B (server) on one node, or
 * A on node-1 and B on node-2 joined by a {@link MemoryUnderlay} (node-1 encapsulates, node-2
 * decapsulates, both on the caller's thread). Pods are raw {@link MemoryPort}s with a
 * {@link CountingSink}, built straight on {@link NodeDatapath} with hand-made forwarding tables —
 * no virtual endpoints, no control plane — so only the data plane is measured.
 *
 * <p>Policy on: an ingress policy isolates B and allows UDP from A on ports 5000–5099 (every
 * flow of {@link PodTraffic}); off: {@link PolicyTable#ALLOW_ALL}. Either way conntrack runs, and
 * a flow's packets after its first are conntrack hits.
 */
final class PodNetwork
{
    static final int VNI = 1;
    private static final int CLUSTER_NETWORK = (10 << 24) | (244 << 16);
    private static final int NODE_PREFIX_LENGTH = 24;
    private static final int CLUSTER_PREFIX_LENGTH = 16;
    private static final int LAST_ALLOWED_PORT = 5099;

    private final DistinctErrorLog errors = new DistinctErrorLog();
    private final NodeDatapath ingress;
    private final NodeDatapath egress;
    private final MemoryPort clientPort;
    private final MemoryPort serverPort;
    private final CountingSink clientSink = new CountingSink();
    private final CountingSink serverSink = new CountingSink();
    private final int clientIp;
    private final int serverIp;

    PodNetwork(final int nodes, final boolean policyOn)
    {
        if (nodes != 1 && nodes != 2)
        {
            throw new IllegalArgumentException("nodes=" + nodes + " must be 1 or 2");
        }
        final MemoryUnderlay underlay = nodes == 2 ? new MemoryUnderlay() : null;
        ingress = node(1, underlay);
        egress = nodes == 2 ? node(2, underlay) : ingress;
        clientIp = podIp(1, 10);
        serverIp = podIp(nodes, 11);
        clientPort = ingress.addMemoryPort("client", clientSink);
        serverPort = egress.addMemoryPort("server", serverSink);
        final LocalEndpoint client = new LocalEndpoint(clientPort.id(), mac(clientIp), clientIp, LocalEndpoint.Kind.POD,
            "client");
        final LocalEndpoint server = new LocalEndpoint(serverPort.id(), mac(serverIp), serverIp, LocalEndpoint.Kind.POD,
            "server");
        if (nodes == 1)
        {
            ingress.publish(table(1, List.of(client, server), List.of()));
        }
        else
        {
            ingress.publish(table(1, List.of(client), List.of(route(2))));
            egress.publish(table(2, List.of(server), List.of(route(1))));
        }
        final PolicyTable policy = policyOn ? isolateServer() : PolicyTable.ALLOW_ALL;
        ingress.publishPolicy(policy);
        egress.publishPolicy(policy);
    }

    private NodeDatapath node(final int index, final MemoryUnderlay underlay)
    {
        final ForwardingTable empty = table(index, List.of(), List.of());
        return new NodeDatapath("node-" + index, NodeDatapath.DEFAULT_RING_SIZE, Frame.EMULATED_CAPACITY, vtepIp(index),
            VNI, underlay, empty, errors);
    }

    private static ForwardingTable table(final int node, final List<LocalEndpoint> locals,
        final List<ForwardingTable.RemoteRoute> remoteSubnets)
    {
        final int gatewayIp = podIp(node, 1);
        return new ForwardingTable(1, gatewayIp, mac(gatewayIp), NODE_PREFIX_LENGTH, CLUSTER_NETWORK,
            CLUSTER_PREFIX_LENGTH, NodeDatapath.TUNNEL_PORT_ID, VNI, locals, remoteSubnets, List.of());
    }

    private static ForwardingTable.RemoteRoute route(final int node)
    {
        return new ForwardingTable.RemoteRoute(podIp(node, 0),
            new ForwardingTable.RemoteNode("node-" + node, vtepIp(node), mac(podIp(node, 1))));
    }

    /** Ingress of B isolated; UDP from A on the flows' ports allowed. Checked against both outcomes. */
    private PolicyTable isolateServer()
    {
        final PolicyEndpoint a = new PolicyEndpoint(PolicyEndpoint.Kind.POD, "bench", "client", clientIp,
            Map.of("app", "client"), List.of());
        final PolicyEndpoint b = new PolicyEndpoint(PolicyEndpoint.Kind.POD, "bench", "server", serverIp,
            Map.of("app", "server"), List.of());
        final NetworkPolicy policy = new NetworkPolicy("bench", "server-ingress",
            new LabelSelector(Map.of("app", "server"), List.of()), Set.of(PolicyType.INGRESS),
            List.of(new PolicyRule(
                List.of(new PolicyPeer(new LabelSelector(Map.of("app", "client"), List.of()), null, null)),
                List.of(new PolicyPort(IpProtocol.UDP, PodTraffic.FIRST_DESTINATION_PORT, null, LAST_ALLOWED_PORT)))),
            List.of());
        final PolicyTable table = PolicyCompiler.compile(
            new PolicyCluster(Map.of("bench", Map.of()), List.of(a, b), List.of(policy)), 1);
        final int udp = IpProtocol.UDP.number();
        if (table.check(clientIp, serverIp, udp, LAST_ALLOWED_PORT, true, true) != PolicyTable.ALLOW
            || table.check(clientIp, serverIp, udp, LAST_ALLOWED_PORT + 1, true, true) != PolicyTable.DENY_INGRESS
            || table.check(podIp(1, 99), serverIp, udp, LAST_ALLOWED_PORT, true, true) != PolicyTable.DENY_INGRESS)
        {
            throw new IllegalStateException("compiled policy does not isolate the server as intended");
        }
        return table;
    }

    static int podIp(final int node, final int host)
    {
        return CLUSTER_NETWORK | (node << 8) | host;
    }

    private static int vtepIp(final int node)
    {
        return (192 << 24) | (168 << 16) | (100 << 8) | node;
    }

    /** {@code 0a:58:} + the IPv4 address, as the CNI bridge plugin and the emulated cluster assign. */
    static long mac(final int ip)
    {
        return (0x0A58L << 32) | (ip & 0xFFFF_FFFFL);
    }

    /** Where A's frames enter: A's node. */
    NodeDatapath ingress()
    {
        return ingress;
    }

    /** Where B is: A's node too when there is one node. */
    NodeDatapath egress()
    {
        return egress;
    }

    boolean isTwoNodes()
    {
        return egress != ingress;
    }

    int clientPortId()
    {
        return clientPort.id();
    }

    int clientIp()
    {
        return clientIp;
    }

    long clientMac()
    {
        return mac(clientIp);
    }

    long clientGatewayMac()
    {
        return mac(podIp(1, 1));
    }

    int serverIp()
    {
        return serverIp;
    }

    /** B's port, whose sink a harness may re-point before traffic starts. */
    MemoryPort serverPort()
    {
        return serverPort;
    }

    CountingSink serverSink()
    {
        return serverSink;
    }

    /**
     * Throws unless every frame either node received was forwarded (none dropped or answered),
     * nothing reached A, and no unexpected error was logged.
     */
    void checkAllForwarded()
    {
        check(ingress.counters(), ingress.name());
        if (egress != ingress)
        {
            check(egress.counters(), egress.name());
        }
        if (clientSink.frames() != 0 || !errors.entries().isEmpty())
        {
            throw new IllegalStateException("frames reached the client (" + clientSink.frames() + ") or errors: "
                + errors.entries());
        }
    }

    private static void check(final DatapathCounters counters, final String node)
    {
        if (counters.receivedCount() != counters.forwardedCount())
        {
            throw new IllegalStateException(node + ": received " + counters.receivedCount() + ", forwarded "
                + counters.forwardedCount() + ", answered " + counters.answeredCount() + ", drops " + counters.drops());
        }
    }
}
