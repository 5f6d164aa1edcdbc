package dev.podswitch.ipam;

import dev.podswitch.ipam.store.FileIpamStore;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

class FileClusterIpamTest extends ClusterIpamContractTest
{
    @TempDir
    Path tempDir;
    private int storeCount;

    @Override
    protected IpamStore newStore()
    {
        return new FileIpamStore(tempDir.resolve("state-" + storeCount++));
    }
}
