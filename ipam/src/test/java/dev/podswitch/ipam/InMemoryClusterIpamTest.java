package dev.podswitch.ipam;

import dev.podswitch.ipam.store.InMemoryIpamStore;

class InMemoryClusterIpamTest extends ClusterIpamContractTest
{
    @Override
    protected IpamStore newStore()
    {
        return new InMemoryIpamStore();
    }
}
