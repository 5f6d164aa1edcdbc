package dev.podswitch.control;

import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.port.endpoint.ProbeRegistry;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.dataplane.port.endpoint.VirtualEndpoint;
import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.PodIpLease;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Everything attached to the nodes, by name, and the two ways in and one way out: an emulated
 * endpoint the switch makes itself (a memory port and a {@link VirtualEndpoint}), or a port the
 * caller built (a live pod's TAP); both end in {@link #detach}, so a gone pod's tracked
 * connections are forgotten the same way whatever it was. Pods get their IPs from IPAM under a
 * (container id, interface) key kept in the attachment; hosts bring their own. Driver thread only.
 */
final class Attachments
{
    /** How long a detach waits for a node whose command queue is full to take the forget command. */
    private static final long FORGET_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final String EMULATED_IF_NAME = "eth0";

    private final ClusterOptions options;
    private final ClusterIpam ipam;
    private final ProbeRegistry probes;
    private final NodeTopology topology;
    private final TablePublisher publisher;
    private final NodeAgents agents;
    private final Map<String, Attachment> attachmentByName = new LinkedHashMap<>();

    Attachments(final ClusterOptions options, final ClusterIpam ipam, final ProbeRegistry probes,
        final NodeTopology topology, final TablePublisher publisher, final NodeAgents agents)
    {
        this.options = options;
        this.ipam = ipam;
        this.probes = probes;
        this.topology = topology;
        this.publisher = publisher;
        this.agents = agents;
    }

    Map<String, Attachment> all()
    {
        return Collections.unmodifiableMap(attachmentByName);
    }

    Attachment get(final String name)
    {
        return attachmentByName.get(name);
    }

    /** An emulated pod: its IP leased (or the fixed one), a memory port and a virtual endpoint that has resolved its gateway. */
    Attachment addEmulatedPod(final String name, final String nodeName, final int fixedIp, final ServedPorts served)
    {
        requireFree(name);
        final ClusterNode node = topology.node(nodeName);
        final String containerId = "emulated-" + name.replace('/', '-');
        final PodIpLease lease = lease(nodeName, containerId, EMULATED_IF_NAME, fixedIp);
        return addEmulated(name, LocalEndpoint.Kind.POD, node, lease.ip(), served, containerId, EMULATED_IF_NAME);
    }

    /** An emulated external host (outside the cluster CIDR) on a node's uplink. */
    Attachment addEmulatedHost(final String name, final String nodeName, final int ip, final ServedPorts served)
    {
        requireFree(name);
        requireOutsideCluster(name, ip);
        return addEmulated(name, LocalEndpoint.Kind.HOST, topology.node(nodeName), ip, served, null, null);
    }

    private Attachment addEmulated(final String name, final LocalEndpoint.Kind kind, final ClusterNode node, final int ip,
        final ServedPorts served, final String leaseContainerId, final String leaseIfName)
    {
        final long mac = ClusterDataplane.macFor(ip);
        final VirtualEndpoint endpoint = new VirtualEndpoint(name, mac, ip, node.gatewayIp(), served, probes,
            Frame.EMULATED_CAPACITY);
        final NodeDatapath datapath = node.datapath();
        final MemoryPort port = datapath.addMemoryPort(name, endpoint);
        endpoint.link((frame, offset, length) -> datapath.ring().offer(port.id(), frame, offset, length));
        final Attachment attachment = new Attachment(name, kind, node, ip, mac, port, endpoint, leaseContainerId,
            leaseIfName);
        attachmentByName.put(name, attachment);
        publisher.publishTables(attachmentByName.values());
        endpoint.resolveGateway();
        agents.runUntilIdle();
        return attachment;
    }

    /**
     * A pod whose port the caller builds, with its IP leased under the caller's key — for a CNI
     * attachment, its (CNI_CONTAINERID, CNI_IFNAME), host-local style. When IPAM already holds a
     * lease under that key (an agent restarted over its state), the pod gets that IP again. If
     * the factory throws, the IP is released and nothing is attached.
     */
    Attachment addPortPod(final String name, final String nodeName, final String containerId, final String ifName,
        final int fixedIp, final ClusterDataplane.PortFactory factory)
    {
        requireFree(name);
        final ClusterNode node = topology.node(nodeName);
        final Optional<PodIpLease> held = ipam.lookup(nodeName, containerId, ifName);
        final PodIpLease lease = held.isPresent() ? held.get() : lease(nodeName, containerId, ifName, fixedIp);
        final Port port;
        try
        {
            port = factory.create(node, node.datapath().allocatePortId(), lease.ip(), ClusterDataplane.macFor(lease.ip()));
        }
        catch (final RuntimeException | Error failed)
        {
            ipam.release(nodeName, containerId, ifName);
            throw failed;
        }
        return addPort(new Attachment(name, LocalEndpoint.Kind.POD, node, lease.ip(), ClusterDataplane.macFor(lease.ip()),
            port, null, containerId, ifName));
    }

    /** An external host whose port the caller builds (outside the cluster CIDR, no IPAM). */
    Attachment addPortHost(final String name, final String nodeName, final int ip, final ClusterDataplane.PortFactory factory)
    {
        requireFree(name);
        requireOutsideCluster(name, ip);
        final ClusterNode node = topology.node(nodeName);
        final Port port = factory.create(node, node.datapath().allocatePortId(), ip, ClusterDataplane.macFor(ip));
        return addPort(new Attachment(name, LocalEndpoint.Kind.HOST, node, ip, ClusterDataplane.macFor(ip), port, null,
            null, null));
    }

    private Attachment addPort(final Attachment attachment)
    {
        final NodeDatapath datapath = attachment.node().datapath();
        datapath.addPort(attachment.port());
        if (attachment.port() instanceof final ReceiveSource source)
        {
            datapath.addReceiveSource(source);
        }
        attachmentByName.put(attachment.name(), attachment);
        publisher.publishTables(attachmentByName.values());
        return attachment;
    }

    /**
     * The one way out, for every kind of attachment: unrouted from every table, its port gone from
     * its node (with node threads held between batches, so when this returns no thread uses the
     * port and the caller may close it), its tracked connections forgotten on every node, and —
     * if {@code releaseLease} — its IP free again. A CNI agent that stops keeps its pods' leases.
     *
     * @return the detached attachment, or null if there was none of that name.
     */
    Attachment detach(final String name, final boolean releaseLease)
    {
        final Attachment attachment = attachmentByName.remove(name);
        if (attachment == null)
        {
            return null;
        }
        publisher.publishTables(attachmentByName.values());
        final List<ClusterNode> busy = new ArrayList<>();
        agents.whileHeld(() ->
        {
            final NodeDatapath datapath = attachment.node().datapath();
            datapath.removePort(attachment.port().id());
            if (attachment.port() instanceof final ReceiveSource source)
            {
                datapath.removeReceiveSource(source);
            }
            for (final ClusterNode node : topology.nodes().values())
            {
                if (!node.datapath().forgetConnectionsOf(attachment.ip()))
                {
                    busy.add(node);
                }
            }
        });
        forgetWhenDrained(busy, attachment.ip());
        if (releaseLease && attachment.leaseContainerId() != null)
        {
            ipam.release(attachment.node().name(), attachment.leaseContainerId(), attachment.leaseIfName());
        }
        return attachment;
    }

    /**
     * A node whose command queue was full gets the forget command once it has drained some: by
     * running the nodes here (driver-run) or by waiting for its thread (live). Never dropped: a
     * connection of a gone pod that stayed tracked would let its IP's next owner in unjudged.
     */
    private void forgetWhenDrained(final Collection<ClusterNode> busy, final int ip)
    {
        final long deadline = System.nanoTime() + FORGET_TIMEOUT_NS;
        for (final ClusterNode node : busy)
        {
            while (!node.datapath().forgetConnectionsOf(ip))
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("node " + node.name() + " took no command for "
                        + TimeUnit.NANOSECONDS.toSeconds(FORGET_TIMEOUT_NS) + " s; is its thread stuck?");
                }
                if (agents.isLive())
                {
                    Thread.onSpinWait();
                }
                else
                {
                    agents.runUntilIdle();
                }
            }
        }
    }

    private PodIpLease lease(final String nodeName, final String containerId, final String ifName, final int fixedIp)
    {
        return fixedIp == 0 ? ipam.allocate(nodeName, containerId, ifName)
            : ipam.allocate(nodeName, containerId, ifName, fixedIp);
    }

    private void requireFree(final String name)
    {
        if (attachmentByName.containsKey(name))
        {
            throw new IllegalArgumentException(name + " is already attached");
        }
    }

    private void requireOutsideCluster(final String name, final int ip)
    {
        if (options.clusterCidr().contains(ip))
        {
            throw new IllegalArgumentException("host " + name + " has IP " + dev.podswitch.ipam.cidr.Ipv4.format(ip)
                + " inside the cluster CIDR " + options.clusterCidr() + "; hosts live outside it");
        }
    }
}
