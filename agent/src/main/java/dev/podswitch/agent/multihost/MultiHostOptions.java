package dev.podswitch.agent.multihost;

import dev.podswitch.datastore.ClusterConfigs;
import dev.podswitch.datastore.DatastoreKeys;
import dev.podswitch.datastore.EtcdEndpoints;

import java.time.Duration;

/**
 * {@code podswitch agent --etcd URL[,URL…] --node NAME --underlay-address IP}: this host's node in a
 * cluster whose state is in etcd.
 *
 * @param underlayAddress this host's address on the network between the hosts: its VTEP, where
 *                        other nodes send its pods' VXLAN packets.
 * @param leaseTtl        the etcd lease of the node's subnet (flannel's 24 h by default).
 * @param wanted          the cluster config flags given (null fields: whatever the cluster has).
 */
public record MultiHostOptions(EtcdEndpoints etcd, DatastoreKeys keys, String node, int underlayAddress, Duration leaseTtl,
    ClusterConfigs.Wanted wanted)
{
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofHours(24);
    /** What VXLAN adds to each packet on the underlay: outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8. */
    public static final int VXLAN_OVERHEAD = 50;
}
