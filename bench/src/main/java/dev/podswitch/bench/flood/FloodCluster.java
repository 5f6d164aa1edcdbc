package dev.podswitch.bench.flood;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.policy.compile.PolicyCompiler;
import dev.podswitch.policy.model.LabelSelector;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.policy.model.PolicyPeer;
import dev.podswitch.policy.model.PolicyPort;
import dev.podswitch.policy.model.PolicyRule;
import dev.podswitch.policy.model.PolicyType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The flood run's cluster: two nodes on the memory underlay, the flooder on node-1 and its target
 * on node-2, clients and servers dealt alternately over both (so every class of traffic crosses
 * the flooder's node, the target's node and the tunnel between them, and every connection table
 * holds flood flows). NetworkPolicy makes connection tracking matter, as it does in a cluster with
 * default-deny: clients are isolated for ingress (their answers pass only as replies of tracked
 * connections), servers admit clients on DNS (UDP 53), web (TCP 80) and the long flows' port, and
 * the target admits the flooder on every UDP and TCP port (so each flood flow is allowed and
 * tracked). The compiled table is checked against those intentions before use.
 */
final class FloodCluster implements AutoCloseable
{
    static final String NAMESPACE = "default";
    static final int DNS_PORT = 53;
    static final int WEB_PORT = 80;
    static final List<String> NODES = List.of("node-1", "node-2");

    private final ClusterDataplane cluster;
    private final Attachment flooder;
    private final Attachment target;
    private final Attachment[] clients;
    private final Attachment[] servers;
    private final LongFlows longFlows;
    private final FlowTap flooderTap;
    private final FlowTap targetTap;

    FloodCluster(final int clientCount, final int serverCount, final int longFlowCount, final int threads)
    {
        cluster = ClusterDataplane.create(ClusterOptions.of("10.0.0.0/8", 24, NODES, ClusterOptions.Underlay.MEMORY)
            .withThreading(threads, IdleMode.BLOCKING));
        final ServedPorts serverPorts = ServedPorts.of(ServedPorts.key(IpProtocol.UDP, DNS_PORT),
            ServedPorts.key(IpProtocol.TCP, WEB_PORT), ServedPorts.key(IpProtocol.TCP, LongFlows.SERVER_PORT));
        final int[] targetKeys = new int[2 * FloodKind.DESTINATION_PORTS];
        for (int i = 0; i < FloodKind.DESTINATION_PORTS; i++)
        {
            targetKeys[2 * i] = ServedPorts.key(IpProtocol.UDP, FloodKind.SERVED_FIRST_PORT + i);
            targetKeys[2 * i + 1] = ServedPorts.key(IpProtocol.TCP, FloodKind.SERVED_FIRST_PORT + i);
        }
        flooder = cluster.addPod(NAMESPACE + "/flooder", NODES.get(0), 0, ServedPorts.of());
        target = cluster.addPod(NAMESPACE + "/target", NODES.get(1), 0, ServedPorts.of(targetKeys));
        clients = new Attachment[clientCount];
        for (int i = 0; i < clientCount; i++)
        {
            clients[i] = cluster.addPod(NAMESPACE + "/client-" + i, NODES.get(i % NODES.size()), 0, ServedPorts.of());
        }
        servers = new Attachment[serverCount];
        for (int i = 0; i < serverCount; i++)
        {
            servers[i] = cluster.addPod(NAMESPACE + "/server-" + i, NODES.get(i % NODES.size()), 0, serverPorts);
        }
        longFlows = new LongFlows(clients, servers, longFlowCount);
        flooderTap = FlowTap.installSilent(flooder);
        targetTap = FlowTap.install(target, null, false);
        for (final Attachment client : clients)
        {
            FlowTap.install(client, longFlows, false);
        }
        for (final Attachment server : servers)
        {
            FlowTap.install(server, longFlows, true);
        }
        cluster.publishPolicy(policy());
    }

    private PolicyTable policy()
    {
        final List<PolicyEndpoint> endpoints = new ArrayList<>();
        endpoints.add(endpoint(flooder, "flood"));
        endpoints.add(endpoint(target, "target"));
        for (final Attachment client : clients)
        {
            endpoints.add(endpoint(client, "client"));
        }
        for (final Attachment server : servers)
        {
            endpoints.add(endpoint(server, "server"));
        }
        final NetworkPolicy clientsIsolated = new NetworkPolicy(NAMESPACE, "clients-isolated", app("client"),
            Set.of(PolicyType.INGRESS), List.of(), List.of());
        final NetworkPolicy serversFromClients = new NetworkPolicy(NAMESPACE, "servers-from-clients", app("server"),
            Set.of(PolicyType.INGRESS), List.of(new PolicyRule(List.of(new PolicyPeer(app("client"), null, null)),
            List.of(new PolicyPort(IpProtocol.UDP, DNS_PORT, null, null), new PolicyPort(IpProtocol.TCP, WEB_PORT, null, null),
                new PolicyPort(IpProtocol.TCP, LongFlows.SERVER_PORT, null, null)))), List.of());
        final NetworkPolicy targetFromFlooder = new NetworkPolicy(NAMESPACE, "target-from-flooder", app("target"),
            Set.of(PolicyType.INGRESS), List.of(new PolicyRule(List.of(new PolicyPeer(app("flood"), null, null)),
            List.of(new PolicyPort(IpProtocol.UDP, null, null, null), new PolicyPort(IpProtocol.TCP, null, null, null)))),
            List.of());
        final PolicyTable table = PolicyCompiler.compile(new PolicyCluster(Map.of(NAMESPACE, Map.of()), endpoints,
            List.of(clientsIsolated, serversFromClients, targetFromFlooder)), 1);
        final int udp = IpProtocol.UDP.number();
        final int tcp = IpProtocol.TCP.number();
        final Attachment client = clients[0];
        final Attachment server = servers[0];
        if (table.check(client.ip(), server.ip(), udp, DNS_PORT, true, true) != PolicyTable.ALLOW
            || table.check(client.ip(), server.ip(), tcp, LongFlows.SERVER_PORT, true, true) != PolicyTable.ALLOW
            || table.check(server.ip(), client.ip(), udp, 40_000, true, true) != PolicyTable.DENY_INGRESS
            || table.check(flooder.ip(), target.ip(), udp, FloodKind.UNSERVED_FIRST_PORT, true, true) != PolicyTable.ALLOW
            || table.check(flooder.ip(), server.ip(), udp, DNS_PORT, true, true) != PolicyTable.DENY_INGRESS)
        {
            throw new IllegalStateException("the compiled policy does not isolate the pods as the flood run intends");
        }
        return table;
    }

    private static LabelSelector app(final String app)
    {
        return new LabelSelector(Map.of("app", app), List.of());
    }

    private static PolicyEndpoint endpoint(final Attachment pod, final String app)
    {
        return new PolicyEndpoint(PolicyEndpoint.Kind.POD, NAMESPACE, pod.name().substring(NAMESPACE.length() + 1),
            pod.ip(), Map.of("app", app), List.of());
    }

    ClusterDataplane cluster()
    {
        return cluster;
    }

    Attachment flooder()
    {
        return flooder;
    }

    Attachment target()
    {
        return target;
    }

    Attachment[] clients()
    {
        return clients;
    }

    Attachment[] servers()
    {
        return servers;
    }

    LongFlows longFlows()
    {
        return longFlows;
    }

    /** Frames the switch delivered to the flooder (answers to the flood). */
    long framesAtFlooder()
    {
        return flooderTap.frames();
    }

    /** Frames the switch delivered to the target (the flood, mostly). */
    long framesAtTarget()
    {
        return targetTap.frames();
    }

    Iterable<ClusterNode> nodes()
    {
        return cluster.nodes().values();
    }

    @Override
    public void close()
    {
        cluster.close();
    }
}
