package dev.podswitch.ipam.store;

import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.IpamStoreException;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileIpamStoreTest
{
    @TempDir
    Path stateDir;

    @Test
    void shouldKeepSubnetsLeasesAndCursorWhenReopened()
    {
        final PodIpLease a;
        final PodIpLease b;
        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store);
            ipam.nodeSubnet("node-1");
            ipam.nodeSubnet("node-2");
            a = ipam.allocate("node-1", "c1", "eth0");
            b = ipam.allocate("node-1", "c2", "eth0");
            ipam.release("node-1", "c2", "eth0");
        }

        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store);
            assertEquals("10.244.0.0/24", ipam.nodeSubnet("node-1").toString());
            assertEquals("10.244.1.0/24", ipam.nodeSubnet("node-2").toString());
            assertEquals("10.244.2.0/24", ipam.nodeSubnet("node-3").toString());
            assertEquals(Optional.of(a), ipam.lookup("node-1", "c1", "eth0"));
            // The round-robin cursor survived: b's just-released IP is not handed out again.
            final PodIpLease c = ipam.allocate("node-1", "c3", "eth0");
            assertEquals("10.244.0.4", Ipv4.format(c.ip()));
            assertFalse(c.ip() == a.ip() || c.ip() == b.ip());
        }
    }

    @Test
    void shouldGiveDistinctIpsWhenSeveralStoreInstancesShareDirectoryInOneJvm() throws Exception
    {
        final int threadCount = 4;
        final ExecutorService executor = Executors.newFixedThreadPool(threadCount);
        final List<FileIpamStore> stores = new ArrayList<>();
        try
        {
            final List<Callable<List<Integer>>> tasks = new ArrayList<>();
            for (int t = 0; t < threadCount; t++)
            {
                final FileIpamStore store = new FileIpamStore(stateDir);
                stores.add(store);
                final ClusterIpam ipam = new ClusterIpam(store);
                final int thread = t;
                tasks.add(() ->
                {
                    final List<Integer> ips = new ArrayList<>();
                    for (int i = 0; i < 25; i++)
                    {
                        ips.add(ipam.allocate("node-1", "t" + thread + "-" + i, "eth0").ip());
                    }
                    return ips;
                });
            }
            final Set<Integer> all = new HashSet<>();
            for (final Future<List<Integer>> future : executor.invokeAll(tasks))
            {
                future.get().forEach(ip -> assertTrue(all.add(ip), () -> "handed out twice: " + Ipv4.format(ip)));
            }
            assertEquals(100, all.size());
        }
        finally
        {
            executor.shutdownNow();
            stores.forEach(FileIpamStore::close);
        }
    }

    @Test
    void shouldIgnoreTornTempFileWhenLoading() throws Exception
    {
        final PodIpLease lease;
        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            lease = new ClusterIpam(store).allocate("node-1", "c1", "eth0");
        }
        // What a kill -9 between writing and renaming the temp file leaves behind.
        Files.writeString(stateDir.resolve(FileIpamStore.TEMP_FILE_NAME), "# podswitch IPAM state\npodswitch-ipam-st");

        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store);
            assertEquals(Optional.of(lease), ipam.lookup("node-1", "c1", "eth0"));
            assertEquals("10.244.0.3", Ipv4.format(ipam.allocate("node-1", "c2", "eth0").ip()));
        }
    }

    @Test
    void shouldStartEmptyWhenOnlyTornTempFileExists() throws Exception
    {
        Files.writeString(stateDir.resolve(FileIpamStore.TEMP_FILE_NAME), "garbage");

        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            assertEquals("10.244.0.2", Ipv4.format(new ClusterIpam(store).allocate("n", "c1", "eth0").ip()));
        }
    }

    @Test
    void shouldNameFileWhenStateIsGarbage() throws Exception
    {
        final Path file = stateDir.resolve(FileIpamStore.STATE_FILE_NAME);
        Files.writeString(file, "\u0000\u0001 not a state file");

        assertEquals("corrupt IPAM state file " + file.toRealPath() + ": the file does not end with a newline, so " +
            "it is truncated. Refusing to start from an empty state, which could hand out IPs that running pods " +
            "still use. Restore the file from a backup, or, if no pod that got an IP from it is running any more, " +
            "move it away to start fresh", openFails());
    }

    @Test
    void shouldRefuseWhenStateIsEmptyTruncatedOrFlipped() throws Exception
    {
        writeValidState();
        final Path file = stateDir.resolve(FileIpamStore.STATE_FILE_NAME);
        final byte[] valid = Files.readAllBytes(file);

        Files.write(file, new byte[0]);
        assertTrue(openFails().contains(": the file is empty."));

        final int cut = new String(valid, StandardCharsets.UTF_8).indexOf("pod node-1") + 1;
        Files.write(file, java.util.Arrays.copyOf(valid, cut));
        assertTrue(openFails().contains(": the file does not end with a newline"));

        final String text = new String(valid, StandardCharsets.UTF_8);
        Files.writeString(file, text.substring(0, text.indexOf("checksum")));
        assertTrue(openFails().contains(": the last line is not a checksum line"));

        Files.writeString(file, text.replace("10.244.0.2 c1", "10.244.0.3 c1"));
        final String flipped = openFails();
        assertTrue(flipped.startsWith("corrupt IPAM state file " + file.toRealPath() + ": checksum mismatch: the " +
            "file says "), flipped);
    }

    @Test
    void shouldNameLineWhenStateHasValidChecksumButDuplicateIp() throws Exception
    {
        final Path file = stateDir.resolve(FileIpamStore.STATE_FILE_NAME);
        writeWithChecksum(file, """
            podswitch-ipam-state 1
            layout 10.244.0.0/16 24
            node node-1 10.244.0.0/24
            pod node-1 10.244.0.2 c1 eth0
            pod node-1 10.244.0.2 c2 eth0
            """);

        final String message = openFails();

        assertTrue(message.startsWith("corrupt IPAM state file " + file.toRealPath() + " line 5: 10.244.0.2 is " +
            "already held by 10.244.0.2 (node node-1, container c1, interface eth0) in 'pod node-1 10.244.0.2 c2 " +
            "eth0'"), message);
    }

    @Test
    void shouldFailUpdateWhenStateIsDamagedWhileRunning() throws Exception
    {
        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            final ClusterIpam ipam = new ClusterIpam(store);
            ipam.allocate("node-1", "c1", "eth0");
            Files.writeString(stateDir.resolve(FileIpamStore.STATE_FILE_NAME), "oops\n");

            final IpamStoreException ex = assertThrows(IpamStoreException.class,
                () -> ipam.allocate("node-1", "c2", "eth0"));

            assertTrue(ex.getMessage().contains(": the last line is not a checksum line"), ex.getMessage());
        }
    }

    private void writeValidState()
    {
        try (FileIpamStore store = new FileIpamStore(stateDir))
        {
            new ClusterIpam(store).allocate("node-1", "c1", "eth0");
        }
    }

    private String openFails()
    {
        return assertThrows(IpamStoreException.class, () -> new FileIpamStore(stateDir)).getMessage();
    }

    private static void writeWithChecksum(final Path file, final String body) throws Exception
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        Files.writeString(file, body + "checksum " + String.format("%08x", crc.getValue()) + "\n");
    }
}
