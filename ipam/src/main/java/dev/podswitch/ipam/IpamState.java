package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything IPAM persists: the cluster layout, the node subnet leases, the pod IP leases and, per node, the last
 * reserved IP (host-local's round-robin cursor). A mutable value owned by one thread at a time: a store hands each
 * transaction its own {@link #copy()}, and writes it back only if it changed. The mutators keep the invariants a
 * loaded file is checked against too (no subnet or IP held twice, pods only on leased nodes), so a bug in an
 * allocator cannot persist a double allocation.
 */
public final class IpamState
{
    private ClusterLayout layout;
    private final TreeMap<String, Ipv4Cidr> subnetByNode = new TreeMap<>();
    private final TreeMap<String, Integer> lastReservedIpByNode = new TreeMap<>();
    private final TreeMap<Integer, PodIpLease> leaseByIp = new TreeMap<>(Integer::compareUnsigned);

    public IpamState copy()
    {
        final IpamState copy = new IpamState();
        copy.layout = layout;
        copy.subnetByNode.putAll(subnetByNode);
        copy.lastReservedIpByNode.putAll(lastReservedIpByNode);
        copy.leaseByIp.putAll(leaseByIp);
        return copy;
    }

    public Optional<ClusterLayout> layout()
    {
        return Optional.ofNullable(layout);
    }

    public void layout(final ClusterLayout layout)
    {
        this.layout = Objects.requireNonNull(layout, "layout");
    }

    public Map<String, Ipv4Cidr> subnetByNode()
    {
        return Collections.unmodifiableMap(subnetByNode);
    }

    public void leaseNodeSubnet(final String node, final Ipv4Cidr subnet)
    {
        Names.check("node name", node);
        if (subnetByNode.containsKey(node))
        {
            throw new IllegalStateException("node " + node + " already holds " + subnetByNode.get(node));
        }
        for (final Map.Entry<String, Ipv4Cidr> entry : subnetByNode.entrySet())
        {
            final Ipv4Cidr other = entry.getValue();
            if (other.contains(subnet) || subnet.contains(other))
            {
                throw new IllegalStateException("subnet " + subnet + " overlaps " + other + " leased to node " +
                    entry.getKey());
            }
        }
        subnetByNode.put(node, subnet);
    }

    public void releaseNodeSubnet(final String node)
    {
        for (final PodIpLease lease : leaseByIp.values())
        {
            if (lease.node().equals(node))
            {
                throw new IllegalStateException("node " + node + " still holds pod IP " + lease);
            }
        }
        subnetByNode.remove(node);
        lastReservedIpByNode.remove(node);
    }

    public Map<String, Integer> lastReservedIpByNode()
    {
        return Collections.unmodifiableMap(lastReservedIpByNode);
    }

    public void lastReservedIp(final String node, final int ip)
    {
        requireInNodeSubnet(node, ip);
        lastReservedIpByNode.put(node, ip);
    }

    /**
     * Pod leases ordered by IP (unsigned).
     */
    public SortedMap<Integer, PodIpLease> leaseByIp()
    {
        return Collections.unmodifiableSortedMap(leaseByIp);
    }

    public Optional<PodIpLease> findLease(final String node, final String containerId, final String ifName)
    {
        for (final PodIpLease lease : leaseByIp.values())
        {
            if (lease.isHeldBy(node, containerId, ifName))
            {
                return Optional.of(lease);
            }
        }
        return Optional.empty();
    }

    public void addLease(final PodIpLease lease)
    {
        final Ipv4Cidr subnet = requireInNodeSubnet(lease.node(), lease.ip());
        if (lease.ip() == subnet.network() || lease.ip() == subnet.broadcast())
        {
            throw new IllegalStateException(Ipv4.format(lease.ip()) + " is the network or broadcast address of " +
                subnet);
        }
        final PodIpLease holder = leaseByIp.get(lease.ip());
        if (holder != null)
        {
            throw new IllegalStateException(Ipv4.format(lease.ip()) + " is already held by " + holder);
        }
        leaseByIp.put(lease.ip(), lease);
    }

    public void removeLease(final int ip)
    {
        leaseByIp.remove(ip);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof IpamState other &&
            Objects.equals(layout, other.layout) &&
            subnetByNode.equals(other.subnetByNode) &&
            lastReservedIpByNode.equals(other.lastReservedIpByNode) &&
            leaseByIp.equals(other.leaseByIp);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(layout, subnetByNode, lastReservedIpByNode, leaseByIp);
    }

    @Override
    public String toString()
    {
        return "IpamState{layout=" + layout + ", subnetByNode=" + subnetByNode + ", leases=" + leaseByIp.values() +
            "}";
    }

    private Ipv4Cidr requireInNodeSubnet(final String node, final int ip)
    {
        final Ipv4Cidr subnet = subnetByNode.get(node);
        if (subnet == null)
        {
            throw new IllegalStateException("node " + node + " holds no subnet lease");
        }
        if (!subnet.contains(ip))
        {
            throw new IllegalStateException(Ipv4.format(ip) + " is outside node " + node + "'s subnet " + subnet);
        }
        return subnet;
    }
}
