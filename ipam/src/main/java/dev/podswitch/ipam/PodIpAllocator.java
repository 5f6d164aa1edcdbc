package dev.podswitch.ipam;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * Pod IP allocation inside one node's subnet with the semantics of the reference CNI host-local plugin
 * (containernetworking/plugins, plugins/ipam/host-local/backend/allocator/allocator.go) for a range with the
 * default start, end and gateway:
 * <ul>
 *   <li>the range is network+1 .. broadcast-1, and the gateway (network+1) is skipped, so network, broadcast and
 *       gateway are never handed out;</li>
 *   <li>the search starts after the last reserved IP of the range and wraps around once ("round robin": a
 *       crash-looping container does not get the same IP back until the range has been run through); without
 *       a last reserved IP in the range it starts at the range start;</li>
 *   <li>every reservation, requested or not, becomes the last reserved IP;</li>
 *   <li>a second dynamic allocation for the same (container id, interface) is an error, as the CNI spec forbids
 *       duplicate allocation. host-local skips that check for a requested IP; we do not, because two IPs for one
 *       key would make release and lookup ambiguous.</li>
 * </ul>
 * Pure functions over an {@link IpamState}; the store makes them atomic.
 */
final class PodIpAllocator
{
    private PodIpAllocator()
    {
    }

    static int gateway(final Ipv4Cidr subnet)
    {
        return subnet.firstHost();
    }

    static PodIpLease allocateNext(
        final IpamState state, final Ipv4Cidr subnet, final String node, final String containerId,
        final String ifName)
    {
        rejectDuplicate(state, node, containerId, ifName);

        final long rangeStart = Integer.toUnsignedLong(subnet.firstHost());
        final long rangeEnd = Integer.toUnsignedLong(subnet.lastHost());
        final long span = rangeEnd - rangeStart + 1;
        final Integer lastReserved = state.lastReservedIpByNode().get(node);
        final long startOffset = lastReserved != null && subnet.contains(lastReserved) ?
            (Integer.toUnsignedLong(lastReserved) - rangeStart + 1) % span : 0;

        final int gateway = gateway(subnet);
        for (long i = 0; i < span; i++)
        {
            final int candidate = (int)(rangeStart + (startOffset + i) % span);
            if (candidate != gateway && !state.leaseByIp().containsKey(candidate))
            {
                return reserve(state, new PodIpLease(node, containerId, ifName, candidate));
            }
        }

        throw new IpamException("no IP addresses available in node " + node + "'s subnet " + subnet + ": all " +
            (span - 1) + " pod addresses are allocated (network, broadcast and gateway " + Ipv4.format(gateway) +
            " are never handed out); release IPs of pods that are gone, or use a shorter node prefix length");
    }

    static PodIpLease allocateRequested(
        final IpamState state, final Ipv4Cidr subnet, final String node, final String containerId,
        final String ifName, final int requestedIp)
    {
        final String ip = Ipv4.format(requestedIp);
        if (!subnet.contains(requestedIp))
        {
            throw new IpamException("requested IP " + ip + " is not in node " + node + "'s subnet " + subnet);
        }
        if (requestedIp == subnet.network())
        {
            throw new IpamException("requested IP " + ip + " is the network address of node " + node +
                "'s subnet " + subnet + "; pick one of " + Ipv4.format(subnet.firstHost() + 1) + " to " +
                Ipv4.format(subnet.lastHost()));
        }
        if (requestedIp == subnet.broadcast())
        {
            throw new IpamException("requested IP " + ip + " is the broadcast address of node " + node +
                "'s subnet " + subnet + "; pick one of " + Ipv4.format(subnet.firstHost() + 1) + " to " +
                Ipv4.format(subnet.lastHost()));
        }
        if (requestedIp == gateway(subnet))
        {
            throw new IpamException("requested IP " + ip + " is the gateway of node " + node + "'s subnet " +
                subnet + "; pick one of " + Ipv4.format(subnet.firstHost() + 1) + " to " +
                Ipv4.format(subnet.lastHost()));
        }
        final PodIpLease holder = state.leaseByIp().get(requestedIp);
        if (holder != null)
        {
            throw new IpamException("requested IP " + ip + " is not available: it is allocated to container " +
                holder.containerId() + " interface " + holder.ifName() + " on node " + holder.node());
        }
        rejectDuplicate(state, node, containerId, ifName);
        return reserve(state, new PodIpLease(node, containerId, ifName, requestedIp));
    }

    private static PodIpLease reserve(final IpamState state, final PodIpLease lease)
    {
        state.addLease(lease);
        state.lastReservedIp(lease.node(), lease.ip());
        return lease;
    }

    private static void rejectDuplicate(
        final IpamState state, final String node, final String containerId, final String ifName)
    {
        state.findLease(node, containerId, ifName).ifPresent(existing ->
        {
            throw new IpamException(Ipv4.format(existing.ip()) + " has been allocated to container " +
                containerId + " interface " + ifName + " on node " + node + ", duplicate allocation is not " +
                "allowed; release it first");
        });
    }
}
