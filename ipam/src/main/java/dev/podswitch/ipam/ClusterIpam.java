package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The IPAM facade for the rest of the switch: node subnet leases carved from the cluster CIDR, and pod IPs
 * inside them with host-local semantics (see {@link PodIpAllocator}). It holds no state of its own: every call
 * is one transaction on the {@link IpamStore}, so any thread may call it, several instances (and processes)
 * may share a store, and the result of every call is durable when it returns. The caller owns the store and
 * closes it.
 */
public final class ClusterIpam
{
    private final IpamStore store;
    private final ClusterLayout layout;

    public ClusterIpam(final IpamStore store)
    {
        this(store, ClusterLayout.DEFAULT.clusterCidr(), ClusterLayout.DEFAULT.nodePrefixLength());
    }

    /**
     * Binds the store to this layout, or checks that it already is bound to it: changing the cluster CIDR or
     * the node prefix length under existing leases would renumber nodes that have running pods.
     */
    public ClusterIpam(final IpamStore store, final Ipv4Cidr clusterCidr, final int nodePrefixLength)
    {
        this.store = Objects.requireNonNull(store, "store");
        this.layout = new ClusterLayout(clusterCidr, nodePrefixLength);
        store.update(state ->
        {
            final Optional<ClusterLayout> stored = state.layout();
            if (stored.isEmpty())
            {
                state.layout(layout);
            }
            else if (!stored.get().equals(layout))
            {
                throw new IpamException("IPAM state in " + store.location() + " was created for " +
                    stored.get() + ", but this agent is configured with " + layout + "; changing it would " +
                    "renumber nodes under running pods. Configure " + stored.get() + " again, or start with " +
                    "an empty state directory");
            }
            return null;
        });
    }

    public ClusterLayout layout()
    {
        return layout;
    }

    /**
     * The node's pod CIDR: its existing lease, or a new one (the lowest free subnet).
     */
    public Ipv4Cidr nodeSubnet(final String node)
    {
        Names.check("node name", node);
        return store.update(state -> NodeSubnetAllocator.leaseOrGet(state, layout, node));
    }

    /**
     * Binds the node to {@code subnet}, which a shared datastore leased it (several hosts, one
     * cluster CIDR). Refused while the node's pods hold IPs in another subnet: they would keep
     * addresses another node now routes.
     */
    public void assignNodeSubnet(final String node, final Ipv4Cidr subnet)
    {
        Names.check("node name", node);
        if (subnet.prefixLength() != layout.nodePrefixLength() || !layout.clusterCidr().contains(subnet.network()))
        {
            throw new IpamException("subnet " + subnet + " is not a /" + layout.nodePrefixLength() + " of " + layout.clusterCidr());
        }
        store.update(state ->
        {
            final Ipv4Cidr held = state.subnetByNode().get(node);
            if (subnet.equals(held))
            {
                return null;
            }
            final long podCount = state.leaseByIp().values().stream().filter(l -> l.node().equals(node)).count();
            if (held != null && podCount > 0)
            {
                throw new IpamException("node " + node + " was given subnet " + subnet + ", but " + podCount + " of its pods "
                    + "hold IPs in " + held + ", which it used before (another node holds it now). Delete those pods "
                    + "(or start with an empty state directory) so they get addresses in " + subnet);
            }
            for (final Map.Entry<String, Ipv4Cidr> other : state.subnetByNode().entrySet())
            {
                if (!other.getKey().equals(node) && other.getValue().equals(subnet))
                {
                    state.releaseNodeSubnet(other.getKey());
                }
            }
            if (held != null)
            {
                state.releaseNodeSubnet(node);
            }
            state.leaseNodeSubnet(node, subnet);
            return null;
        });
    }

    public Map<String, Ipv4Cidr> nodeSubnets()
    {
        return Map.copyOf(store.read().subnetByNode());
    }

    /**
     * Gives the node's subnet back to the cluster. Refused while pods on the node hold IPs, because the subnet
     * could go to another node whose pods would then get the same addresses. Releasing an unknown node is fine.
     */
    public void releaseNode(final String node)
    {
        Names.check("node name", node);
        store.update(state ->
        {
            final long podCount = state.leaseByIp().values().stream().filter(l -> l.node().equals(node)).count();
            if (podCount > 0)
            {
                throw new IpamException("cannot release the subnet of node " + node + ": " + podCount +
                    " pod IPs on it are still allocated; release them first");
            }
            state.releaseNodeSubnet(node);
            return null;
        });
    }

    /**
     * The gateway of the node's subnet (its first host address, as host-local picks by default), leasing the
     * subnet if the node has none yet.
     */
    public int gateway(final String node)
    {
        return PodIpAllocator.gateway(nodeSubnet(node));
    }

    /**
     * The next free IP in the node's subnet (leasing the subnet if needed). Fails if (containerId, ifName)
     * already holds an IP on the node.
     */
    public PodIpLease allocate(final String node, final String containerId, final String ifName)
    {
        checkKey(node, containerId, ifName);
        return store.update(state -> PodIpAllocator.allocateNext(
            state, NodeSubnetAllocator.leaseOrGet(state, layout, node), node, containerId, ifName));
    }

    /**
     * Exactly the requested IP, or an {@link IpamException} saying why not (outside the node's subnet, network,
     * broadcast or gateway address, already allocated, duplicate key).
     */
    public PodIpLease allocate(final String node, final String containerId, final String ifName, final int requestedIp)
    {
        checkKey(node, containerId, ifName);
        return store.update(state -> PodIpAllocator.allocateRequested(
            state, NodeSubnetAllocator.leaseOrGet(state, layout, node), node, containerId, ifName, requestedIp));
    }

    /**
     * Idempotent, like host-local's DEL: releasing twice or releasing something never allocated is not an error.
     */
    public void release(final String node, final String containerId, final String ifName)
    {
        checkKey(node, containerId, ifName);
        store.update(state ->
        {
            state.findLease(node, containerId, ifName).ifPresent(lease -> state.removeLease(lease.ip()));
            return null;
        });
    }

    public Optional<PodIpLease> lookup(final String node, final String containerId, final String ifName)
    {
        checkKey(node, containerId, ifName);
        return store.read().findLease(node, containerId, ifName);
    }

    /**
     * All pod IP leases of the cluster, ordered by IP.
     */
    public List<PodIpLease> allocations()
    {
        return List.copyOf(store.read().leaseByIp().values());
    }

    private static void checkKey(final String node, final String containerId, final String ifName)
    {
        Names.check("node name", node);
        Names.check("container id", containerId);
        Names.check("interface name", ifName);
    }
}
