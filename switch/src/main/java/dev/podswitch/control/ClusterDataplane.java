package dev.podswitch.control;

import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.conntrack.ConntrackSnapshot;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.endpoint.ProbeRegistry;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.port.tunnel.EpollUnderlay;
import dev.podswitch.dataplane.port.tunnel.MemoryUnderlay;
import dev.podswitch.dataplane.port.tunnel.NativeUdpUnderlay;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.IpamStore;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.ipam.store.InMemoryIpamStore;
import dev.podswitch.util.Closeables;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The data plane of every node this process runs — the emulated mode's whole cluster in one JVM,
 * a live lab, or a CNI agent's node — joined by a VXLAN underlay, and the one place that changes
 * it. Its jobs live in their own classes: {@link NodeTopology} (nodes, pod CIDRs, the VTEP plan,
 * external nodes), {@link Attachments} (pods and hosts, one attachment type and one way out),
 * {@link NodeAgents} (where and when the pipelines run) and {@link TablePublisher} (forwarding
 * tables and compiled policy, published to every node). What pods are called and labelled, and
 * which policies hold, is the cluster model's ({@code control.model}); this class only knows
 * addresses, ports and tables.
 *
 * <p>Threads: one driver thread makes every call. Node agents run on the driver's own thread
 * inside {@link #runUntilIdle()} (threads = 0, deterministic), or on N agent threads that run only
 * while the driver is inside {@link #runUntilIdle()}, or all the time between {@link #startLive()}
 * and {@link #stopLive()} (live pods send whenever their kernel likes). While live the driver only
 * publishes (tables, ports, receive sources — all thread-safe) and must not drive virtual
 * endpoints. A UDP underlay adds its receive thread, which only offers frames into the rings.
 */
public final class ClusterDataplane implements AutoCloseable
{
    private static final int MAC_PREFIX = 0x0A58;

    /** Builds a caller's port (a live pod's TAP) once its node, port id, IP and MAC are known. */
    @FunctionalInterface
    public interface PortFactory
    {
        Port create(ClusterNode node, int portId, int ip, long mac);
    }

    private final ClusterOptions options;
    private final ClusterIpam ipam;
    private final VxlanUnderlay underlay;
    private final DistinctErrorLog errors = new DistinctErrorLog();
    private final ProbeRegistry probes = new ProbeRegistry();
    private final NodeTopology topology;
    private final TablePublisher publisher;
    private final NodeAgents agents;
    private final Attachments attachments;

    private ClusterDataplane(final ClusterOptions options, final VxlanUnderlay underlay, final int vtepBase,
        final IpamStore ipamStore)
    {
        this.options = options;
        this.underlay = underlay;
        this.ipam = new ClusterIpam(ipamStore, options.clusterCidr(), options.nodePrefixLength());
        this.topology = new NodeTopology(options, ipam, underlay, vtepBase, errors);
        this.publisher = new TablePublisher(options, topology);
        this.agents = new NodeAgents(options, topology, underlay, errors);
        this.attachments = new Attachments(options, ipam, probes, topology, publisher, agents);
        publisher.publishTables(attachments.all().values());
    }

    public static ClusterDataplane create(final ClusterOptions options)
    {
        return create(options, new InMemoryIpamStore());
    }

    /**
     * As {@link #create(ClusterOptions)}, with IPAM state in {@code ipamStore} — a file store keeps
     * node subnets and pod leases across restarts (the CNI agent's), so no IP is handed out twice.
     */
    public static ClusterDataplane create(final ClusterOptions options, final IpamStore ipamStore)
    {
        if (options.underlay() == ClusterOptions.Underlay.MEMORY)
        {
            return new ClusterDataplane(options, new MemoryUnderlay(), Ipv4.parse("127.1.0.0"), ipamStore);
        }
        // Loopback addresses 127.a.b.n: a random /24 per cluster, so parallel runs never share a VTEP.
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        final int vtepBase = (127 << 24) | (random.nextInt(2, 255) << 16) | (random.nextInt(1, 255) << 8);
        // UDP: the native FFM sockets where they work, Netty's epoll (or NIO) elsewhere; NETTY: Netty's always.
        final VxlanUnderlay udp = options.underlay() == ClusterOptions.Underlay.UDP && NativeUdpUnderlay.isAvailable()
            ? new NativeUdpUnderlay() : new EpollUnderlay();
        try
        {
            return new ClusterDataplane(options, udp, vtepBase, ipamStore);
        }
        catch (final RuntimeException bindFailed)
        {
            Closeables.closeQuietly(udp, bindFailed);
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

    public Map<String, ClusterNode> nodes()
    {
        return topology.nodes();
    }

    public ClusterNode node(final String name)
    {
        return topology.node(name);
    }

    /** Everything attached, emulated or not, by name. */
    public Map<String, Attachment> attachments()
    {
        return attachments.all();
    }

    public Attachment attachment(final String name)
    {
        return attachments.get(name);
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

    /** The cluster's IPAM (node subnets, pod leases), e.g. to release a lease whose pod is already gone. */
    public ClusterIpam ipam()
    {
        return ipam;
    }

    /**
     * Attaches an emulated pod: an IP from the node's pod CIDR (or the fixed one asked for), a
     * memory port, and a virtual endpoint that has resolved its gateway when this returns.
     *
     * @param fixedIp the IP to use, or 0 for the next one IPAM hands out.
     */
    public Attachment addPod(final String name, final String nodeName, final int fixedIp, final ServedPorts served)
    {
        return attachments.addEmulatedPod(name, nodeName, fixedIp, served);
    }

    /** Attaches an emulated external host (outside the cluster CIDR) to a node's uplink. */
    public Attachment addHost(final String name, final String nodeName, final int ip, final ServedPorts served)
    {
        return attachments.addEmulatedHost(name, nodeName, ip, served);
    }

    /**
     * Attaches a pod whose port the caller provides: an IP from the node's pod CIDR, the MAC
     * {@code 0a:58:} + IP, a port id, then the factory's port on the node (also polled by the node
     * when it is a receive source) and every table republished. If the factory throws, the IP is
     * released and nothing is attached.
     */
    public Attachment addLivePod(final String name, final String nodeName, final PortFactory factory)
    {
        return addLivePod(name, nodeName, 0, factory);
    }

    /** As {@link #addLivePod(String, String, PortFactory)}, with a fixed IP from the node's pod CIDR (0: the next one). */
    public Attachment addLivePod(final String name, final String nodeName, final int fixedIp, final PortFactory factory)
    {
        return addLivePod(name, nodeName, "live-" + name.replace('/', '-'), "eth0", fixedIp, factory);
    }

    /**
     * As {@link #addLivePod(String, String, int, PortFactory)}, with the IP leased under the
     * caller's key — for a CNI attachment, its (CNI_CONTAINERID, CNI_IFNAME), host-local style. When
     * the IPAM store already holds a lease under that key, the pod gets that IP again.
     */
    public Attachment addLivePod(final String name, final String nodeName, final String containerId, final String ifName,
        final int fixedIp, final PortFactory factory)
    {
        return attachments.addPortPod(name, nodeName, containerId, ifName, fixedIp, factory);
    }

    /** Attaches a live external host (outside the cluster CIDR, no IPAM) to a node's uplink. */
    public Attachment addLiveHost(final String name, final String nodeName, final int ip, final PortFactory factory)
    {
        return attachments.addPortHost(name, nodeName, ip, factory);
    }

    /** As {@link #detach(String, boolean)}, releasing a pod's IP. */
    public Attachment detach(final String name)
    {
        return detach(name, true);
    }

    /**
     * Detaches a pod or host, whatever its kind — the one way out: unrouted, its port gone from its
     * node (so the caller may close it when this returns), its tracked connections forgotten on
     * every node, and with {@code releaseLease} its IP free again (a CNI agent that stops keeps its
     * pods' leases for when it returns).
     *
     * @return the detached attachment, or null if there was none of that name.
     */
    public Attachment detach(final String name, final boolean releaseLease)
    {
        return attachments.detach(name, releaseLease);
    }

    /** Swaps a newly compiled policy into every node; each picks it up at its next batch. */
    public void publishPolicy(final PolicyTable policy)
    {
        publisher.publishPolicy(policy);
    }

    /**
     * Adds a node that podswitch does not run: its pod CIDR (a node subnet of the cluster CIDR that
     * no node of this cluster holds) is routed to its VTEP, frames to it carry {@code gatewayMac}
     * as inner destination, and frames from its VTEP are accepted with inner sources in that CIDR.
     * Its traffic does not count in {@link #runUntilIdle()}'s balance, so use it with live pods.
     */
    public ExternalNode addExternalNode(final String name, final Ipv4Cidr podCidr, final int vtepIp, final long gatewayMac)
    {
        final ExternalNode external = topology.addExternal(name, podCidr, vtepIp, gatewayMac);
        publisher.publishTables(attachments.all().values());
        return external;
    }

    /** Removes an external node; its pod CIDR is unrouted from the next batch on. */
    public ExternalNode removeExternalNode(final String name)
    {
        final ExternalNode removed = topology.removeExternal(name);
        if (removed != null)
        {
            publisher.publishTables(attachments.all().values());
        }
        return removed;
    }

    public Map<String, ExternalNode> externalNodes()
    {
        return topology.externalNodes();
    }

    /**
     * Keeps the node agents running until {@link #stopLive()}, as live pods need.
     *
     * @throws IllegalStateException when the nodes run on the driver's thread (threads = 0).
     */
    public void startLive()
    {
        agents.startLive();
    }

    /** Stops the node agents between cycles; counters read after this are exact. */
    public void stopLive()
    {
        agents.stopLive();
    }

    public boolean isLive()
    {
        return agents.isLive();
    }

    /**
     * Runs every node's pipeline until nothing is left to do anywhere (see {@link NodeAgents#runUntilIdle()}).
     *
     * @return false if the deadline passed with work still in flight.
     */
    public boolean runUntilIdle()
    {
        return agents.runUntilIdle();
    }

    /**
     * Every node's tracked connections, at most {@code limit} entries each (see
     * {@link ClusterConnections}). Driver thread: while live, each node's thread makes its copy
     * between two batches and the driver waits up to {@code timeout}; otherwise no node thread runs
     * outside {@link #runUntilIdle()}, and the driver copies the tables itself.
     */
    public Map<String, ConntrackSnapshot> connections(final int limit, final Duration timeout)
        throws ClusterConnections.Unavailable
    {
        return agents.isLive() ? ClusterConnections.request(nodes().values(), limit, timeout)
            : ClusterConnections.copy(nodes().values(), limit);
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
        topology.close();
    }
}
