package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * The first agent writes the cluster config, the others read it. A flag an agent was given that
 * disagrees with the config already in etcd is an error that names both, never a second cluster.
 */
public final class ClusterConfigs
{
    public static final ClusterConfig DEFAULT = new ClusterConfig(Ipv4Cidr.parse("10.244.0.0/16"), 24, 1);

    /**
     * What the agent's flags ask for; a null field is "whatever the cluster has" (and the default
     * when this agent is the first).
     */
    public record Wanted(Ipv4Cidr clusterCidr, Integer nodePrefixLength, Integer vni)
    {
        public static final Wanted ANY = new Wanted(null, null, null);

        ClusterConfig orDefaults()
        {
            return new ClusterConfig(clusterCidr == null ? DEFAULT.clusterCidr() : clusterCidr,
                nodePrefixLength == null ? DEFAULT.nodePrefixLength() : nodePrefixLength, vni == null ? DEFAULT.vni() : vni);
        }
    }

    private ClusterConfigs()
    {
    }

    /** The cluster's config: the one in etcd (checked against {@code wanted}), or {@code wanted} written as the first. */
    public static ClusterConfig agree(final Datastore datastore, final Wanted wanted) throws DatastoreException
    {
        final String key = datastore.keys().config();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            final Datastore.Entry entry = datastore.get(key);
            if (entry == null)
            {
                final ClusterConfig first = wanted.orDefaults();
                if (datastore.create(key, Records.config(first), 0))
                {
                    return first;
                }
                continue;
            }
            final ClusterConfig existing;
            try
            {
                existing = Records.config(key, entry.value());
            }
            catch (final Records.Invalid invalid)
            {
                throw new DatastoreException("the cluster config in etcd is not readable: " + invalid.getMessage()
                    + "; fix or delete it (etcdctl del " + key + ") before starting agents");
            }
            check("--cluster-cidr", wanted.clusterCidr(), existing.clusterCidr(), existing, datastore);
            check("--node-prefix-length", wanted.nodePrefixLength(), existing.nodePrefixLength(), existing, datastore);
            check("--vni", wanted.vni(), existing.vni(), existing, datastore);
            return existing;
        }
        throw new DatastoreException("the cluster config at " + key + " kept changing while this agent read it");
    }

    private static void check(final String flag, final Object given, final Object existing, final ClusterConfig config,
        final Datastore datastore) throws DatastoreException
    {
        if (given != null && !given.equals(existing))
        {
            throw new DatastoreException(flag + " " + given + " disagrees with the cluster in etcd at " + datastore.endpoints()
                + " (" + config + "); leave the flag out to join that cluster, or use another --etcd-prefix for a new one");
        }
    }
}
