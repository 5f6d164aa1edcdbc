package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Leasers as agents make them, with an underlay address per node and the gateway's MAC as VTEP MAC. */
final class Leasers
{
    /** Long enough that no lease expires during a test unless the test means it to. */
    static final Duration LONG_TTL = Duration.ofSeconds(60);
    /** etcd's shortest lease with {@link EtcdServer}'s timings: expiry tests wait about this long. */
    static final Duration SHORT_TTL = Duration.ofSeconds(1);

    private Leasers()
    {
    }

    static SubnetLeaser leaser(final Datastore datastore, final ClusterConfig config, final String node, final Duration ttl)
    {
        return leaser(datastore, config, node, underlayOf(node), ttl);
    }

    static SubnetLeaser leaser(final Datastore datastore, final ClusterConfig config, final String node, final int underlay,
        final Duration ttl)
    {
        return new SubnetLeaser(datastore, config, node, underlay, ttl, Leasers::gatewayMac, line -> { });
    }

    /** 192.168.100.x, a different x for each of the few node names tests use. */
    static int underlayOf(final String node)
    {
        return Ipv4.parse("192.168.100.0") + 1 + Math.floorMod(node.hashCode(), 250);
    }

    /**
     * 0a:58 and the gateway address (the subnet's first host), as the agent derives it. The leaser
     * passes the network as a sign-extended long, so only its low 32 bits are the address.
     */
    static long gatewayMac(final long network)
    {
        return 0x0A58_0000_0000L | ((network + 1) & 0xFFFF_FFFFL);
    }

    /** The subnet's key as etcd holds it now, decoded; fails the test when absent. */
    static SubnetLease stored(final Datastore datastore, final Ipv4Cidr subnet) throws Exception
    {
        final String key = datastore.keys().subnet(subnet);
        final Datastore.Entry entry = datastore.get(key);
        assertNotNull(entry, key + " is in etcd");
        return Records.subnet(key, subnet, entry.value(), entry.lease());
    }
}
