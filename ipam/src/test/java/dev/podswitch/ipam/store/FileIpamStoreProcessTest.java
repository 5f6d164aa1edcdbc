package dev.podswitch.ipam.store;

import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real second processes on one state directory: the FileChannel lock must serialise them, and a kill -9 in the
 * middle of an allocation must lose nothing that a caller was told. The timeouts only guard against a hung child;
 * nothing here asserts on speed.
 */
@Timeout(120)
class FileIpamStoreProcessTest
{
    private static final String CLUSTER = "10.0.0.0/8";
    private static final int NODE_PREFIX_LENGTH = 16;

    @TempDir
    Path tempDir;

    @Test
    void shouldNeverGiveSameIpWhenTwoProcessesAndThisOneAllocateConcurrently() throws Exception
    {
        final Path stateDir = tempDir.resolve("state");
        final int perChild = 60;
        try (ChildJvm first = child(stateDir, "shared", "p1-", perChild);
            ChildJvm second = child(stateDir, "shared", "p2-", perChild);
            FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store, Ipv4Cidr.parse(CLUSTER), NODE_PREFIX_LENGTH);
            first.awaitReady();
            second.awaitReady();
            first.go();
            second.go();

            final Map<String, String> containerByIp = new HashMap<>();
            for (int i = 0; i < 30; i++)
            {
                final PodIpLease lease = ipam.allocate("shared", "self-" + i, "eth0");
                putUnique(containerByIp, Ipv4.format(lease.ip()), lease.containerId());
            }
            for (final ChildJvm child : List.of(first, second))
            {
                final List<String> lines = child.readAllLines();
                assertEquals(0, child.waitFor(), child::stderr);
                assertEquals(perChild, lines.size());
                for (final String line : lines)
                {
                    final String[] fields = line.split(" ");
                    putUnique(containerByIp, fields[0], fields[1]);
                }
            }

            assertEquals(2 * perChild + 30, containerByIp.size());
            final Map<String, String> persisted = new HashMap<>();
            for (final PodIpLease lease : ipam.allocations())
            {
                persisted.put(Ipv4.format(lease.ip()), lease.containerId());
            }
            assertEquals(containerByIp, persisted);
        }
    }

    @Test
    void shouldKeepEveryReportedIpWhenChildIsKilledMidAllocation() throws Exception
    {
        final Path stateDir = tempDir.resolve("state");
        final Map<String, String> reported = new HashMap<>();
        try (ChildJvm child = child(stateDir, "crashy", "c", 1_000_000))
        {
            child.awaitReady();
            child.go();
            for (int i = 0; i < 40; i++)
            {
                final String line = child.readLine();
                assertNotNull(line, child::stderr);
                final String[] fields = line.split(" ");
                reported.put(fields[0], fields[1]);
            }
            // The child is in its loop, almost always inside a transaction: between temp write, fsync and rename.
            child.killHard();
            // Lines it printed after our 40th and before dying were durable too.
            for (String line = child.readLine(); line != null; line = child.readLine())
            {
                final String[] fields = line.split(" ");
                reported.put(fields[0], fields[1]);
            }
        }

        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store, Ipv4Cidr.parse(CLUSTER), NODE_PREFIX_LENGTH);
            final Map<String, String> persisted = new HashMap<>();
            ipam.allocations().forEach(lease -> persisted.put(Ipv4.format(lease.ip()), lease.containerId()));
            for (final Map.Entry<String, String> entry : reported.entrySet())
            {
                assertEquals(entry.getValue(), persisted.get(entry.getKey()), "owner of " + entry.getKey());
                assertEquals(entry.getKey(), ipam.lookup("crashy", entry.getValue(), "eth0")
                    .map(lease -> Ipv4.format(lease.ip())).orElse("<none>"));
            }

            final Set<String> held = new HashSet<>(persisted.keySet());
            final List<String> fresh = new ArrayList<>();
            for (int i = 0; i < 50; i++)
            {
                fresh.add(Ipv4.format(ipam.allocate("crashy", "after-" + i, "eth0").ip()));
            }
            for (final String ip : fresh)
            {
                assertFalse(reported.containsKey(ip), "handed out again after the crash: " + ip);
                assertTrue(held.add(ip), "handed out twice: " + ip);
            }
        }
    }

    private ChildJvm child(final Path stateDir, final String node, final String containerPrefix, final int count)
        throws Exception
    {
        return new ChildJvm(tempDir, stateDir.toString(), CLUSTER, Integer.toString(NODE_PREFIX_LENGTH), node,
            containerPrefix, Integer.toString(count));
    }

    private static void putUnique(final Map<String, String> containerByIp, final String ip, final String cid)
    {
        final String previous = containerByIp.put(ip, cid);
        assertEquals(null, previous, () -> ip + " handed out to both " + previous + " and " + cid);
    }
}
