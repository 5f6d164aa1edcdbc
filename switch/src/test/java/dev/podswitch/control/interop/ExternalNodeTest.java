package dev.podswitch.control.interop;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A node podswitch does not run (a kernel VXLAN peer) and fixed VTEP IPs, without root: tables only. */
class ExternalNodeTest
{
    private static final int VTEP = Ipv4.parse("192.0.2.2");
    private static final long MAC = 0x0A_12_34_56_78_9AL;

    @Test
    void shouldRouteAnExternalNodesPodCidrToItsVtepWithItsMacUntilRemoved()
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24,
            List.of("node-1"), ClusterOptions.Underlay.MEMORY).withVtepIp("node-1", Ipv4.parse("127.1.9.9"))))
        {
            assertEquals(Ipv4.parse("127.1.9.9"), cluster.node("node-1").vtepIp());
            cluster.addExternalNode("kernel", Ipv4Cidr.parse("10.244.1.0/24"), VTEP, MAC);
            final ForwardingTable table = cluster.node("node-1").datapath().table();
            assertEquals(new ForwardingTable.RemoteNode("kernel", VTEP, MAC), table.remoteFor(Ipv4.parse("10.244.1.7")));
            assertEquals(new ForwardingTable.RemoteNode("kernel", VTEP, MAC), table.remoteByVtep(VTEP));
            assertNull(table.remoteFor(Ipv4.parse("10.244.2.7")));

            cluster.removeExternalNode("kernel");
            assertNull(cluster.node("node-1").datapath().table().remoteFor(Ipv4.parse("10.244.1.7")));
        }
    }

    @Test
    void shouldRefuseAnExternalNodeThatClashesOrLiesOutsideTheClusterCidr()
    {
        try (ClusterDataplane cluster = ClusterDataplane.create(ClusterOptions.of("10.244.0.0/16", 24,
            List.of("node-1"), ClusterOptions.Underlay.MEMORY)))
        {
            final Ipv4Cidr node1 = cluster.node("node-1").podCidr();
            assertThrows(IllegalArgumentException.class, () -> cluster.addExternalNode("k", node1, VTEP, MAC));
            assertThrows(IllegalArgumentException.class,
                () -> cluster.addExternalNode("k", Ipv4Cidr.parse("10.245.1.0/24"), VTEP, MAC));
            assertThrows(IllegalArgumentException.class,
                () -> cluster.addExternalNode("k", Ipv4Cidr.parse("10.244.0.0/23"), VTEP, MAC));
            assertThrows(IllegalArgumentException.class, () -> cluster.addExternalNode("k",
                Ipv4Cidr.parse("10.244.1.0/24"), cluster.node("node-1").vtepIp(), MAC));
            cluster.addExternalNode("k", Ipv4Cidr.parse("10.244.1.0/24"), VTEP, MAC);
            assertThrows(IllegalArgumentException.class,
                () -> cluster.addExternalNode("k2", Ipv4Cidr.parse("10.244.1.0/24"), VTEP + 1, MAC));
        }
    }

    @Test
    void shouldRefuseAVtepIpForANodeThatIsNotInTheCluster()
    {
        final ClusterOptions options = ClusterOptions.of("10.244.0.0/16", 24, List.of("node-1"),
            ClusterOptions.Underlay.MEMORY);
        assertThrows(IllegalArgumentException.class, () -> options.withVtepIp("node-9", VTEP));
    }
}
