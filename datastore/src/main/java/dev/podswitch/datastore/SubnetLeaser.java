package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;

/**
 * Claims and keeps a node's subnet lease, as flannel does. A claim is one transaction that creates
 * the subnet's key only if it does not exist, bound to an etcd lease of the configured TTL, so two
 * agents racing for a subnet can never both win it. A restarting node finds its own key again (and
 * keeps its etcd lease, so its pods' records stay); failing that it asks first for the subnet it
 * remembers in its state directory, then for the lowest free one.
 *
 * <p>{@link #renew()} keeps the lease alive; when etcd forgot it (it was unreachable for longer than
 * the TTL) the same subnet is claimed again, and if another node took it meanwhile the agent is
 * told, never silently moved to another subnet under its running pods.
 */
public final class SubnetLeaser
{
    private final Datastore datastore;
    private final ClusterConfig config;
    private final String node;
    private final int underlayAddress;
    private final Duration ttl;
    /** The VTEP MAC for a subnet: the MAC of its gateway, as frames to its pods carry it. */
    private final LongUnaryOperator vtepMacForNetwork;
    private final Consumer<String> log;
    private volatile SubnetLease held;

    public SubnetLeaser(final Datastore datastore, final ClusterConfig config, final String node, final int underlayAddress,
        final Duration ttl, final LongUnaryOperator vtepMacForNetwork, final Consumer<String> log)
    {
        if (ttl.toSeconds() < 1)
        {
            throw new IllegalArgumentException("--subnet-lease-ttl must be at least 1 s, got " + ttl);
        }
        this.datastore = datastore;
        this.config = config;
        this.node = node;
        this.underlayAddress = underlayAddress;
        this.ttl = ttl;
        this.vtepMacForNetwork = vtepMacForNetwork;
        this.log = log;
    }

    /** The lease held now, or null before {@link #acquire}. */
    public SubnetLease held()
    {
        return held;
    }

    /**
     * The node's subnet: its own key if etcd still has one, else {@code remembered} if free, else
     * the lowest free subnet of the cluster CIDR.
     *
     * @param remembered the subnet the state directory kept from an earlier run, or null.
     */
    public SubnetLease acquire(final Ipv4Cidr remembered) throws DatastoreException
    {
        return acquire(remembered, false);
    }

    /**
     * As {@link #acquire(Ipv4Cidr)}; with {@code onlyRemembered} (the node's pods hold IPs of that
     * subnet) no other subnet will do, and the answer is an error naming who holds it rather than
     * a subnet the pods' addresses are not in.
     */
    public SubnetLease acquire(final Ipv4Cidr remembered, final boolean onlyRemembered) throws DatastoreException
    {
        // Pinned, the subnet may be on its way out (a lease of this node's last run expiring): ask
        // again for a short TTL and a bit, at most a minute, before saying who holds it.
        final long deadline = System.nanoTime() + Duration.ofSeconds(Math.min(ttl.toSeconds() + 5, 60)).toNanos();
        while (true)
        {
            final SubnetLease got = tryAcquire(remembered, onlyRemembered);
            if (got != null)
            {
                return got;
            }
            if (System.nanoTime() >= deadline)
            {
                final Datastore.Entry holder = remembered == null ? null
                    : datastore.get(datastore.keys().subnet(remembered));
                throw new DatastoreException("node " + node + " has pods with IPs of " + remembered + ", but etcd gives "
                    + "that subnet to " + (holder == null ? "nobody this node may take" : Records.utf8(holder.value()))
                    + "; not starting with other addresses under running pods. Wait for that lease to expire, or "
                    + "delete this node's pods (or its state directory) to start on a new subnet");
            }
            sleepBriefly();
        }
    }

    /** One attempt of {@link #acquire(Ipv4Cidr, boolean)}; null when pinned and the remembered subnet is not free yet. */
    private SubnetLease tryAcquire(final Ipv4Cidr remembered, final boolean onlyRemembered) throws DatastoreException
    {
        final Datastore.Listing listing = datastore.list();
        final SubnetLease own = findOwn(listing);
        if (own != null && (!onlyRemembered || own.subnet().equals(remembered)))
        {
            held = own;
            // Renewed at once: a node that was away for most of the TTL must not lose it right after coming back.
            datastore.renewLease(own.leaseId());
            log.accept("subnet " + own.subnet() + " is still this node's (etcd lease " + Long.toHexString(own.leaseId()) + ")");
            return own;
        }
        final long lease = datastore.grantLease(ttl);
        if (remembered != null && fitsCluster(remembered) && claim(remembered, lease))
        {
            log.accept("subnet " + remembered + " claimed again (remembered in the state directory)");
            return held;
        }
        if (onlyRemembered)
        {
            datastore.revokeLease(lease);
            return null;
        }
        final String subnets = datastore.keys().prefix() + DatastoreKeys.SUBNETS;
        for (long index = 0; index < config.subnetCount(); index++)
        {
            final Ipv4Cidr candidate = config.clusterCidr().subnet(config.nodePrefixLength(), index);
            if (listing.entries().containsKey(subnets + candidate.toString().replace('/', '-')))
            {
                continue;
            }
            if (claim(candidate, lease))
            {
                log.accept("subnet " + candidate + " claimed (etcd lease " + Long.toHexString(lease) + ", TTL "
                    + ttl.toSeconds() + " s)");
                return held;
            }
        }
        datastore.revokeLease(lease);
        throw new DatastoreException("no free /" + config.nodePrefixLength() + " subnet is left in " + config.clusterCidr()
            + " for node " + node + "; every one is leased (podswitch get nodes --etcd ... lists them)");
    }

    /**
     * Renews the lease once; re-claims the same subnet when etcd had forgotten it.
     *
     * @return the lease now held (a new etcd lease after a re-claim).
     * @throws DatastoreException when etcd is unreachable, or the subnet went to another node.
     */
    public SubnetLease renew() throws DatastoreException
    {
        final SubnetLease current = held;
        if (current == null)
        {
            throw new IllegalStateException("renew() before acquire(): there is no lease to renew");
        }
        if (datastore.renewLease(current.leaseId()) > 0)
        {
            return current;
        }
        final long lease = datastore.grantLease(ttl);
        if (claim(current.subnet(), lease))
        {
            log.accept("subnet " + current.subnet() + " claimed again: etcd had let its lease expire");
            return held;
        }
        datastore.revokeLease(lease);
        final Datastore.Entry taker = datastore.get(datastore.keys().subnet(current.subnet()));
        throw new DatastoreException("subnet " + current.subnet() + " of node " + node + " expired and was claimed by "
            + (taker == null ? "another node" : Records.utf8(taker.value())) + "; this node's pods cannot be reached "
            + "from other nodes until it is restarted with an empty state directory");
    }

    /** How often {@link #renew()} should run: a third of the TTL, at most an hour, as flannel renews well before expiry. */
    public Duration renewInterval()
    {
        return Duration.ofMillis(Math.max(500, Math.min(ttl.toMillis() / 3, Duration.ofHours(1).toMillis())));
    }

    /** Gives the subnet up now (a node leaving for good): its key and its pods' records go with the lease. */
    public void release() throws DatastoreException
    {
        final SubnetLease current = held;
        if (current != null)
        {
            datastore.revokeLease(current.leaseId());
            held = null;
        }
    }

    private SubnetLease findOwn(final Datastore.Listing listing) throws DatastoreException
    {
        final String subnets = datastore.keys().prefix() + DatastoreKeys.SUBNETS;
        for (final Datastore.Entry entry : listing.entries().values())
        {
            if (!entry.key().startsWith(subnets))
            {
                continue;
            }
            final Ipv4Cidr subnet = DatastoreKeys.subnetOf(entry.key().substring(subnets.length()));
            final SubnetLease lease;
            try
            {
                lease = subnet == null ? null : Records.subnet(entry.key(), subnet, entry.value(), entry.lease());
            }
            catch (final Records.Invalid invalid)
            {
                continue;
            }
            if (lease == null || !lease.node().equals(node))
            {
                continue;
            }
            if (!fitsCluster(subnet))
            {
                log.accept("subnet " + subnet + " names this node but is not a subnet of " + config + "; not taken back");
                continue;
            }
            long leaseId = entry.lease() == 0 ? 0 : datastore.leaseTimeToLive(entry.lease()) >= 0 ? entry.lease() : 0;
            if (leaseId == 0)
            {
                // Its lease ran out but etcd has not removed the key yet (it does so lazily): the key is
                // still this node's, so it is bound to a fresh lease — if nobody changed it meanwhile.
                leaseId = datastore.grantLease(ttl);
            }
            final SubnetLease updated = new SubnetLease(subnet, node, underlayAddress,
                vtepMacForNetwork.applyAsLong(subnet.network()), leaseId);
            if (!updated.equals(lease) && !datastore.replace(entry.key(), Records.subnet(updated), leaseId,
                entry.modRevision()))
            {
                continue;
            }
            return updated;
        }
        return null;
    }

    private boolean claim(final Ipv4Cidr subnet, final long lease) throws DatastoreException
    {
        final SubnetLease wanted = new SubnetLease(subnet, node, underlayAddress, vtepMacForNetwork.applyAsLong(subnet.network()),
            lease);
        if (datastore.create(datastore.keys().subnet(subnet), Records.subnet(wanted), lease))
        {
            held = wanted;
            return true;
        }
        return false;
    }

    private static void sleepBriefly() throws DatastoreException
    {
        try
        {
            Thread.sleep(500);
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
            throw new DatastoreException("interrupted while waiting for a subnet", interrupted);
        }
    }

    private boolean fitsCluster(final Ipv4Cidr subnet)
    {
        return subnet.prefixLength() == config.nodePrefixLength() && config.clusterCidr().contains(subnet.network());
    }
}
