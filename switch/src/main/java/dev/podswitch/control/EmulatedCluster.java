package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.agent.Agent;
import dev.podswitch.dataplane.agent.AgentGroup;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.port.endpoint.ProbeRegistry;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.port.endpoint.VirtualEndpoint;
import dev.podswitch.dataplane.port.tunnel.EpollUnderlay;
import dev.podswitch.dataplane.port.tunnel.MemoryUnderlay;
import dev.podswitch.dataplane.port.tunnel.NativeUdpUnderlay;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.ipam.store.InMemoryIpamStore;
import dev.podswitch.ipam.IpamStore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A whole cluster in one JVM (the emulated mode): one {@link NodeDatapath} per node joined by a
 * VXLAN underlay, pods and external hosts as {@link VirtualEndpoint}s on memory ports, pod IPs
 * from {@link ClusterIpam}. It is the control plane for all its nodes: every change rebuilds each
 * node's {@link ForwardingTable} and publishes it.
 *
 * <p>Threads: one driver thread makes every call. Where the node agents run is configuration
 * ({@link ClusterOptions#threads()}, through an {@link AgentGroup}): on the driver's own thread
 * inside {@link #runUntilIdle()} (0, deterministic), or on N agent threads that run only while the
 * driver is inside {@link #runUntilIdle()} and are stopped between cycles when it returns. So in
 * both modes the driver owns every endpoint, port and probe outside that call: it attaches pods,
 * starts probes ({@link VirtualEndpoint#start}) and reads their outcomes without locks, and the
 * agents see what it did when they are let through. A UDP underlay adds its receive thread, which
 * only offers frames into the rings (multi-producer).
 *
 * <p>Live pods (a namespace behind a TAP port, see {@code control.live}) send whenever their
 * kernel likes, so a cluster with live pods keeps its node agents running between driver calls:
 * {@link #startLive()} until {@link #stopLive()}. While live the driver only publishes (tables,
 * ports, receive sources — all thread-safe) and must not drive virtual endpoints.
 */
public final class EmulatedCluster implements AutoCloseable
{
    private static final int MAC_PREFIX = 0x0A58;
    /** How long {@link #runUntilIdle()} waits for datagrams in flight on a UDP underlay. */
    private static final long IDLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final ClusterOptions options;
    private final ClusterIpam ipam;
    private final VxlanUnderlay underlay;
    private final DistinctErrorLog errors = new DistinctErrorLog();
    private final ProbeRegistry probes = new ProbeRegistry();
    private final Map<String, EmulatedNode> nodeByName = new LinkedHashMap<>();
    private final Map<String, Attachment> attachmentByName = new LinkedHashMap<>();
    private final Map<String, PortAttachment> livePodByName = new LinkedHashMap<>();
    private final Map<String, ExternalNode> externalNodeByName = new LinkedHashMap<>();
    private final AgentGroup agents;
    private final BooleanSupplier quiescent = this::isQuiescent;
    private long generation;

    private EmulatedCluster(final ClusterOptions options, final VxlanUnderlay underlay, final int vtepBase,
        final IpamStore ipamStore)
    {
        this.options = options;
        this.underlay = underlay;
        this.ipam = new ClusterIpam(ipamStore, options.clusterCidr(), options.nodePrefixLength());
        int index = 0;
        for (final String name : options.nodes())
        {
            final Ipv4Cidr podCidr = ipam.nodeSubnet(name);
            final int gatewayIp = ipam.gateway(name);
            final long gatewayMac = macFor(gatewayIp);
            final int vtepIp = options.vtepIps().getOrDefault(name, vtepBase + index + 1);
            final ForwardingTable empty = new ForwardingTable(0, gatewayIp, gatewayMac, options.nodePrefixLength(),
                options.clusterCidr().network(), options.clusterCidr().prefixLength(), NodeDatapath.TUNNEL_PORT_ID,
                options.vni(), List.of(), List.of(), List.of());
            final NodeDatapath datapath = new NodeDatapath(name, options.ringSize(), options.frameCapacity(), vtepIp,
                options.vni(), underlay, empty, errors);
            nodeByName.put(name, new EmulatedNode(name, index, podCidr, gatewayIp, gatewayMac, vtepIp, datapath));
            index++;
        }
        publishTables();
        final List<Agent> nodeAgents = new ArrayList<>();
        for (final EmulatedNode node : nodeByName.values())
        {
            nodeAgents.add(agentOf(node.datapath()));
        }
        this.agents = new AgentGroup("podswitch-nodes", nodeAgents, options.threads(), options.idle(), errors);
    }

    /** NodeDatapath is an agent in all but name: a bounded batch per call, returning the frames handled. */
    private static Agent agentOf(final NodeDatapath datapath)
    {
        return new Agent()
        {
            @Override
            public int doWork()
            {
                return datapath.doWork();
            }

            @Override
            public String name()
            {
                return datapath.name();
            }

            @Override
            public int readinessFd()
            {
                return datapath.readinessFd();
            }
        };
    }

    public static EmulatedCluster create(final ClusterOptions options)
    {
        return create(options, new InMemoryIpamStore());
    }

    /**
     * As {@link #create(ClusterOptions)}, with IPAM state in {@code ipamStore} — a file store keeps
     * node subnets and pod leases across restarts (the CNI agent's), so no IP is handed out twice.
     */
    public static EmulatedCluster create(final ClusterOptions options, final IpamStore ipamStore)
    {
        if (options.underlay() == ClusterOptions.Underlay.MEMORY)
        {
            return new EmulatedCluster(options, new MemoryUnderlay(), Ipv4.parse("127.1.0.0"), ipamStore);
        }
        // Loopback addresses 127.a.b.n: a random /24 per cluster, so parallel runs never share a VTEP.
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        final int vtepBase = (127 << 24) | (random.nextInt(2, 255) << 16) | (random.nextInt(1, 255) << 8);
        final VxlanUnderlay udp = options.underlay() == ClusterOptions.Underlay.UDP && NativeUdpUnderlay.isAvailable()
            ? new NativeUdpUnderlay() : new EpollUnderlay();
        try
        {
            return new EmulatedCluster(options, udp, vtepBase, ipamStore);
        }
        catch (final RuntimeException bindFailed)
        {
            udp.close();
            throw bindFailed;
        }
    }

    /** Pods, hosts and gateways get {@code 0a:58:} + their IPv4 address, as the CNI bridge plugin does. */
    public static long macFor(final int ip)
    {
        return ((long)MAC_PREFIX << 32) | (ip & 0xFFFF_FFFFL);
    }

    public ClusterOptions options()
    {
        return options;
    }

    public Map<String, EmulatedNode> nodes()
    {
        return Collections.unmodifiableMap(nodeByName);
    }

    public EmulatedNode node(final String name)
    {
        final EmulatedNode node = nodeByName.get(name);
        if (node == null)
        {
            throw new IllegalArgumentException("no node " + name + " in this cluster; nodes: " + nodeByName.keySet());
        }
        return node;
    }

    public Map<String, Attachment> attachments()
    {
        return Collections.unmodifiableMap(attachmentByName);
    }

    public Attachment attachment(final String name)
    {
        return attachmentByName.get(name);
    }

    public ProbeRegistry probes()
    {
        return probes;
    }

    public VxlanUnderlay underlay()
    {
        return underlay;
    }

    public DistinctErrorLog errors()
    {
        return errors;
    }

    /**
     * Attaches a pod: an IP from the node's pod CIDR (or the fixed one asked for), a memory port,
     * and a virtual endpoint that has resolved its gateway when this returns.
     *
     * @param fixedIp the IP to use, or 0 for the next one IPAM hands out.
     */
    public Attachment addPod(final String name, final String nodeName, final int fixedIp, final ServedPorts served)
    {
        final EmulatedNode node = node(nodeName);
        final String containerId = containerId(name);
        final PodIpLease lease = fixedIp == 0
            ? ipam.allocate(nodeName, containerId, "eth0")
            : ipam.allocate(nodeName, containerId, "eth0", fixedIp);
        return attach(name, LocalEndpoint.Kind.POD, node, lease.ip(), served);
    }

    /** Attaches an external host (outside the cluster CIDR) to a node's uplink. */
    public Attachment addHost(final String name, final String nodeName, final int ip, final ServedPorts served)
    {
        if (options.clusterCidr().contains(ip))
        {
            throw new IllegalArgumentException("host " + name + " has IP " + Ipv4.format(ip) + " inside the cluster CIDR "
                + options.clusterCidr() + "; hosts live outside it");
        }
        return attach(name, LocalEndpoint.Kind.HOST, node(nodeName), ip, served);
    }

    private Attachment attach(final String name, final LocalEndpoint.Kind kind, final EmulatedNode node, final int ip,
        final ServedPorts served)
    {
        if (attachmentByName.containsKey(name) || livePodByName.containsKey(name))
        {
            throw new IllegalArgumentException(name + " is already attached");
        }
        final long mac = macFor(ip);
        final VirtualEndpoint endpoint = new VirtualEndpoint(name, mac, ip, node.gatewayIp(), served, probes,
            Frame.EMULATED_CAPACITY);
        final NodeDatapath datapath = node.datapath();
        final MemoryPort port = datapath.addMemoryPort(name, endpoint);
        endpoint.link((frame, offset, length) -> datapath.ring().offer(port.id(), frame, offset, length));
        final Attachment attachment = new Attachment(name, kind, node, ip, mac, port, endpoint);
        attachmentByName.put(name, attachment);
        publishTables();
        endpoint.resolveGateway();
        runUntilIdle();
        return attachment;
    }

    /** Swaps a newly compiled policy into every node; each picks it up at its next batch. */
    public void publishPolicy(final PolicyTable policy)
    {
        for (final EmulatedNode node : nodeByName.values())
        {
            node.datapath().publishPolicy(policy);
        }
    }

    /** Detaches a pod or host and releases its IP; its port is gone from the next batch on. */
    public void remove(final String name)
    {
        final Attachment attachment = attachmentByName.remove(name);
        if (attachment == null)
        {
            return;
        }
        publishTables();
        attachment.node().datapath().removePort(attachment.port().id());
        forgetConnectionsOf(attachment.ip());
        if (attachment.kind() == LocalEndpoint.Kind.POD)
        {
            ipam.release(attachment.node().name(), containerId(name), "eth0");
        }
    }

    /** Every node drops the tracked connections of an address whose endpoint is gone. */
    private void forgetConnectionsOf(final int ip)
    {
        for (final EmulatedNode node : nodeByName.values())
        {
            while (!node.datapath().forgetConnectionsOf(ip))
            {
                runUntilIdle();
            }
        }
    }

    /**
     * A pod whose port the caller built — a live pod's TAP — with the IP and MAC the switch enforces,
     * and, for a pod, the (container id, interface) its IP is leased under; a host has no lease (null).
     */
    public record PortAttachment(String name, EmulatedNode node, int ip, long mac, Port port, LocalEndpoint.Kind kind,
        String leaseContainerId, String leaseIfName)
    {

        public LocalEndpoint binding()
        {
            return new LocalEndpoint(port.id(), mac, ip, kind, name);
        }
    }

    /** Builds a live pod's port once its node, port id, IP and MAC are known. */
    @FunctionalInterface
    public interface PortFactory
    {
        Port create(EmulatedNode node, int portId, int ip, long mac);
    }

    /**
     * Attaches a pod whose port the caller provides: an IP from the node's pod CIDR, the MAC
     * {@code 0a:58:} + IP, a port id, then the factory's port on the node (also polled by the node
     * when it is a {@link ReceiveSource}) and every table republished. If the factory throws, the
     * IP is released and nothing is attached.
     */
    public PortAttachment addLivePod(final String name, final String nodeName, final PortFactory factory)
    {
        return addLivePod(name, nodeName, 0, factory);
    }

    /** As {@link #addLivePod(String, String, PortFactory)}, with a fixed IP from the node's pod CIDR (0: the next one). */
    public PortAttachment addLivePod(final String name, final String nodeName, final int fixedIp,
        final PortFactory factory)
    {
        return addLivePod(name, nodeName, liveContainerId(name), "eth0", fixedIp, factory);
    }

    /**
     * As {@link #addLivePod(String, String, int, PortFactory)}, with the IP leased under the
     * caller's key — for a CNI attachment, its (CNI_CONTAINERID, CNI_IFNAME), host-local style. When
     * the IPAM store already holds a lease under that key (an agent restarted over its state), the
     * pod gets that IP again instead of a new one.
     */
    public PortAttachment addLivePod(final String name, final String nodeName, final String containerId,
        final String ifName, final int fixedIp, final PortFactory factory)
    {
        if (attachmentByName.containsKey(name) || livePodByName.containsKey(name))
        {
            throw new IllegalArgumentException(name + " is already attached");
        }
        final EmulatedNode node = node(nodeName);
        final java.util.Optional<PodIpLease> held = ipam.lookup(nodeName, containerId, ifName);
        final PodIpLease lease = held.isPresent() ? held.get()
            : fixedIp == 0 ? ipam.allocate(nodeName, containerId, ifName)
            : ipam.allocate(nodeName, containerId, ifName, fixedIp);
        final Port port;
        try
        {
            port = factory.create(node, node.datapath().allocatePortId(), lease.ip(), macFor(lease.ip()));
        }
        catch (final RuntimeException | Error failed)
        {
            ipam.release(nodeName, containerId, ifName);
            throw failed;
        }
        return attachLive(new PortAttachment(name, node, lease.ip(), macFor(lease.ip()), port, LocalEndpoint.Kind.POD,
            containerId, ifName));
    }

    /** The cluster's IPAM (node subnets, pod leases), e.g. to release a lease whose pod is already gone. */
    public ClusterIpam ipam()
    {
        return ipam;
    }

    /**
     * Attaches a live external host (outside the cluster CIDR, no IPAM) to a node's uplink, like
     * {@link #addHost}; other nodes route its IP to that node. {@link #removeLivePod} detaches it.
     */
    public PortAttachment addLiveHost(final String name, final String nodeName, final int ip, final PortFactory factory)
    {
        if (options.clusterCidr().contains(ip))
        {
            throw new IllegalArgumentException("host " + name + " has IP " + Ipv4.format(ip) + " inside the cluster CIDR "
                + options.clusterCidr() + "; hosts live outside it");
        }
        if (attachmentByName.containsKey(name) || livePodByName.containsKey(name))
        {
            throw new IllegalArgumentException(name + " is already attached");
        }
        final EmulatedNode node = node(nodeName);
        final Port port = factory.create(node, node.datapath().allocatePortId(), ip, macFor(ip));
        return attachLive(new PortAttachment(name, node, ip, macFor(ip), port, LocalEndpoint.Kind.HOST, null, null));
    }

    private PortAttachment attachLive(final PortAttachment attachment)
    {
        final Port port = attachment.port();
        final EmulatedNode node = attachment.node();
        node.datapath().addPort(port);
        if (port instanceof final ReceiveSource source)
        {
            node.datapath().addReceiveSource(source);
        }
        livePodByName.put(attachment.name(), attachment);
        publishTables();
        return attachment;
    }

    /**
     * Detaches a live pod and releases its IP; when this returns the node's agent no longer uses
     * its port, so the caller may close it.
     *
     * @return the detached pod, or null if there was none of that name.
     */
    public PortAttachment removeLivePod(final String name)
    {
        return removeLivePod(name, true);
    }

    /**
     * As {@link #removeLivePod(String)}; with {@code releaseLease} false the pod's IP stays leased
     * in the IPAM store — a CNI agent that stops keeps its pods' addresses for when it returns.
     */
    public PortAttachment removeLivePod(final String name, final boolean releaseLease)
    {
        final PortAttachment attachment = livePodByName.remove(name);
        if (attachment == null)
        {
            return null;
        }
        publishTables();
        final boolean wasLive = agents.isReleased();
        if (wasLive)
        {
            agents.hold();
        }
        final NodeDatapath datapath = attachment.node().datapath();
        datapath.removePort(attachment.port().id());
        if (attachment.port() instanceof final ReceiveSource source)
        {
            datapath.removeReceiveSource(source);
        }
        for (final EmulatedNode node : nodeByName.values())
        {
            // Commands queue up to thousands; a live lab removes one pod at a time.
            node.datapath().forgetConnectionsOf(attachment.ip());
        }
        if (wasLive)
        {
            agents.release();
        }
        if (releaseLease && attachment.leaseContainerId() != null)
        {
            ipam.release(attachment.node().name(), attachment.leaseContainerId(), attachment.leaseIfName());
        }
        return attachment;
    }

    public Map<String, PortAttachment> livePods()
    {
        return Collections.unmodifiableMap(livePodByName);
    }

    /**
     * A node this cluster does not run — a kernel VXLAN device, as flannel's vxlan backend builds
     * one — that every node of the cluster reaches through the underlay.
     *
     * @param gatewayMac the inner destination MAC of frames sent to it: the MAC of its VXLAN device,
     *                   which its kernel routes only frames addressed to.
     */
    public record ExternalNode(String name, Ipv4Cidr podCidr, int vtepIp, long gatewayMac)
    {
    }

    /**
     * Adds a node that podswitch does not run: its pod CIDR (a node subnet of the cluster CIDR that
     * no node of this cluster holds) is routed to its VTEP, frames to it carry {@code gatewayMac}
     * as inner destination, and frames from its VTEP are accepted with inner sources in that CIDR.
     * Every table is republished. Its traffic does not count in {@link #runUntilIdle()}'s balance
     * of sent and delivered datagrams, so use it with live pods ({@link #startLive()}).
     */
    public ExternalNode addExternalNode(final String name, final Ipv4Cidr podCidr, final int vtepIp,
        final long gatewayMac)
    {
        if (nodeByName.containsKey(name) || externalNodeByName.containsKey(name))
        {
            throw new IllegalArgumentException("a node named " + name + " already exists");
        }
        if (podCidr.prefixLength() != options.nodePrefixLength() || !options.clusterCidr().contains(podCidr.network()))
        {
            throw new IllegalArgumentException("external node " + name + " has pod CIDR " + podCidr + "; it must be a /"
                + options.nodePrefixLength() + " inside the cluster CIDR " + options.clusterCidr());
        }
        for (final EmulatedNode node : nodeByName.values())
        {
            if (node.podCidr().network() == podCidr.network() || node.vtepIp() == vtepIp)
            {
                throw new IllegalArgumentException("external node " + name + " (" + podCidr + ", VTEP "
                    + Ipv4.format(vtepIp) + ") clashes with node " + node.name() + " (" + node.podCidr() + ", VTEP "
                    + Ipv4.format(node.vtepIp()) + ")");
            }
        }
        for (final ExternalNode other : externalNodeByName.values())
        {
            if (other.podCidr().network() == podCidr.network() || other.vtepIp() == vtepIp)
            {
                throw new IllegalArgumentException("external node " + name + " clashes with external node " + other);
            }
        }
        final ExternalNode external = new ExternalNode(name, podCidr, vtepIp, gatewayMac);
        externalNodeByName.put(name, external);
        publishTables();
        return external;
    }

    /** Removes an external node; its pod CIDR is unrouted from the next batch on. */
    public ExternalNode removeExternalNode(final String name)
    {
        final ExternalNode removed = externalNodeByName.remove(name);
        if (removed != null)
        {
            publishTables();
        }
        return removed;
    }

    public Map<String, ExternalNode> externalNodes()
    {
        return Collections.unmodifiableMap(externalNodeByName);
    }

    /**
     * Keeps the node agents running until {@link #stopLive()}, as live pods need.
     *
     * @throws IllegalStateException when the nodes run on the driver's thread (threads = 0).
     */
    public void startLive()
    {
        agents.release();
    }

    /** Stops the node agents between cycles; counters read after this are exact. */
    public void stopLive()
    {
        agents.hold();
    }

    public boolean isLive()
    {
        return agents.isReleased();
    }

    private static String liveContainerId(final String podName)
    {
        return "live-" + podName.replace('/', '-');
    }

    private static String containerId(final String podName)
    {
        return "emulated-" + podName.replace('/', '-');
    }

    /** Rebuilds and publishes every node's forwarding table from the attachments. */
    private void publishTables()
    {
        generation++;
        final List<ClusterTables.Placement> placements = new ArrayList<>();
        for (final Attachment attachment : attachmentByName.values())
        {
            placements.add(new ClusterTables.Placement(attachment.node(), attachment.binding()));
        }
        for (final PortAttachment livePod : livePodByName.values())
        {
            placements.add(new ClusterTables.Placement(livePod.node(), livePod.binding()));
        }
        for (final EmulatedNode node : nodeByName.values())
        {
            node.datapath().publish(ClusterTables.tableFor(node, generation, options, nodeByName.values(), placements,
                externalNodeByName.values()));
        }
    }

    /**
     * Runs every node's pipeline until nothing is left to do anywhere: rings empty and no VXLAN
     * packet in flight on the underlay, seen twice in a row (and, with agent threads, once more
     * with every thread stopped, so the answer is exact). In-memory nothing is ever in flight
     * between batches; over UDP it waits for the datagrams it sent to arrive, up to a deadline
     * (loopback does not lose them unless a socket buffer overflows).
     *
     * @return false if the deadline passed with work still in flight.
     */
    public boolean runUntilIdle()
    {
        return agents.runUntil(quiescent, IDLE_TIMEOUT_NS);
    }

    /** Underlay first: a datagram counts as delivered only once it is in a ring, so the rings are read after. */
    private boolean isQuiescent()
    {
        return underlay.sentCount() == underlay.deliveredCount() && allRingsEmpty();
    }

    private boolean allRingsEmpty()
    {
        for (final EmulatedNode node : nodeByName.values())
        {
            if (!node.datapath().isIdle())
            {
                return false;
            }
        }
        return true;
    }

    /** Node agent threads in use: 0 when the nodes run on the driver's thread. */
    public int agentThreads()
    {
        return agents.threadCount();
    }

    /** Unexpected Throwables the agent loops caught and survived (each also in {@link #errors()}). */
    public long agentErrorCount()
    {
        return agents.errorCount();
    }

    @Override
    public void close()
    {
        // Agents first: a node thread may still be sending into the underlay.
        agents.close();
        underlay.close();
        for (final EmulatedNode node : nodeByName.values())
        {
            node.datapath().close();
        }
    }
}
