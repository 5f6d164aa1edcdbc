package dev.podswitch.control;

import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How to build an emulated cluster.
 *
 * @param underlay MEMORY delivers VXLAN packets in-process (deterministic); UDP sends them over
 *                 real UDP sockets on loopback (kernel sockets through FFM, or Netty where those are
 *                 unavailable); NETTY does so through Netty's datagram transport (epoll, else NIO).
 * @param threads  0 runs every node's agent on the thread that calls
 *                 {@link ClusterDataplane#runUntilIdle()} (deterministic; the default); N >= 1
 *                 spreads the nodes round-robin over N agent threads (at most one per node).
 * @param idle     what an agent thread (and the thread waiting for quiescence) does when idle.
 * @param vtepIps  node name to the VTEP IP that node binds (an address of this host, e.g. on a link to
 *                 a kernel VXLAN peer); a node not named here gets the default, a loopback address
 *                 from a random 127.a.b.0/24 per cluster.
 * @param frameCapacity the size of a ring slot: the largest frame a node carries. Emulated pods
 *                 send MTU-sized frames ({@link Frame#EMULATED_CAPACITY}); live pods' TAP devices
 *                 with TSO send 64 KiB super-frames ({@link Frame#OFFLOAD_CAPACITY}).
 */
public record ClusterOptions(Ipv4Cidr clusterCidr, int nodePrefixLength, List<String> nodes, Underlay underlay, int vni,
    int ringSize, int threads, IdleMode idle, Map<String, Integer> vtepIps, int frameCapacity)
{
    public static final int DEFAULT_VNI = 1;
    /** Room for every probe of a round plus their answers without back-pressure drops. */
    public static final int DEFAULT_RING_SIZE = 4096;
    public static final int DEFAULT_THREADS = 0;
    public static final IdleMode DEFAULT_IDLE = IdleMode.BLOCKING;

    public enum Underlay
    {
        MEMORY,
        UDP,
        NETTY
    }

    public ClusterOptions
    {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty())
        {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        if (threads < 0)
        {
            throw new IllegalArgumentException("threads=" + threads + " < 0: use 0 to run every node on the caller's "
                + "thread, or N >= 1 for N node threads (podswitch run --threads N)");
        }
        if (idle == null)
        {
            throw new IllegalArgumentException("an idle strategy is required; the default is " + DEFAULT_IDLE.label());
        }
        if (frameCapacity < Frame.EMULATED_CAPACITY)
        {
            throw new IllegalArgumentException("frameCapacity=" + frameCapacity + " is below an MTU-sized frame ("
                + Frame.EMULATED_CAPACITY + ")");
        }
        vtepIps = Map.copyOf(vtepIps);
        for (final String node : vtepIps.keySet())
        {
            if (!nodes.contains(node))
            {
                throw new IllegalArgumentException("a VTEP IP is set for " + node + ", which is not a node; nodes: " + nodes);
            }
        }
        if (Set.copyOf(vtepIps.values()).size() != vtepIps.size())
        {
            throw new IllegalArgumentException("two nodes share a VTEP IP: " + vtepIps);
        }
    }

    /** Every node with the default VTEP (a random loopback address). */
    public ClusterOptions(final Ipv4Cidr clusterCidr, final int nodePrefixLength, final List<String> nodes,
        final Underlay underlay, final int vni, final int ringSize, final int threads, final IdleMode idle)
    {
        this(clusterCidr, nodePrefixLength, nodes, underlay, vni, ringSize, threads, idle, Map.of(),
            Frame.EMULATED_CAPACITY);
    }

    public static ClusterOptions of(final String clusterCidr, final int nodePrefixLength, final List<String> nodes,
        final Underlay underlay)
    {
        return new ClusterOptions(Ipv4Cidr.parse(clusterCidr), nodePrefixLength, nodes, underlay, DEFAULT_VNI,
            DEFAULT_RING_SIZE, DEFAULT_THREADS, DEFAULT_IDLE);
    }

    /** The same cluster under another threading model. */
    public ClusterOptions withThreading(final int threads, final IdleMode idle)
    {
        return new ClusterOptions(clusterCidr, nodePrefixLength, nodes, underlay, vni, ringSize, threads, idle, vtepIps,
            frameCapacity);
    }

    /** The same cluster with rings of {@code ringSize} slots of {@code frameCapacity} bytes. */
    public ClusterOptions withFrames(final int ringSize, final int frameCapacity)
    {
        return new ClusterOptions(clusterCidr, nodePrefixLength, nodes, underlay, vni, ringSize, threads, idle, vtepIps,
            frameCapacity);
    }

    /** The same cluster with {@code node}'s VTEP on {@code vtepIp} (its UDP underlay binds there, port 4789). */
    public ClusterOptions withVtepIp(final String node, final int vtepIp)
    {
        final Map<String, Integer> ips = new LinkedHashMap<>(vtepIps);
        ips.put(node, vtepIp);
        return new ClusterOptions(clusterCidr, nodePrefixLength, nodes, underlay, vni, ringSize, threads, idle, ips,
            frameCapacity);
    }
}
