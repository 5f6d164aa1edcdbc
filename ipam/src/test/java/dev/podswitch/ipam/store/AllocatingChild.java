package dev.podswitch.ipam.store;

import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second process for the multi-process and crash tests. Prints "ready", waits for a line on stdin (so that
 * several children start allocating at the same moment), then allocates {@code count} IPs on {@code node},
 * printing "ip containerId" for each only after the allocation returned, i.e. after it is durable.
 * Arguments: stateDir clusterCidr nodePrefixLength node containerPrefix count
 */
public final class AllocatingChild
{
    private AllocatingChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path stateDir = Path.of(args[0]);
        final Ipv4Cidr clusterCidr = Ipv4Cidr.parse(args[1]);
        final int nodePrefixLength = Integer.parseInt(args[2]);
        final String node = args[3];
        final String containerPrefix = args[4];
        final int count = Integer.parseInt(args[5]);

        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store, clusterCidr, nodePrefixLength);
            System.out.println("ready");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            for (int i = 0; i < count; i++)
            {
                final PodIpLease lease = ipam.allocate(node, containerPrefix + i, "eth0");
                System.out.println(Ipv4.format(lease.ip()) + " " + lease.containerId());
                System.out.flush();
            }
        }
    }
}
