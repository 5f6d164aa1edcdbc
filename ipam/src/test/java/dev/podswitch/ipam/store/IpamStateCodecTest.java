package dev.podswitch.ipam.store;

import dev.podswitch.ipam.ClusterLayout;
import dev.podswitch.ipam.IpamState;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IpamStateCodecTest
{
    @Test
    void shouldWriteDocumentedFormatAndReadItBackWhenStateHasEverything()
    {
        final IpamState state = new IpamState();
        state.layout(ClusterLayout.DEFAULT);
        state.leaseNodeSubnet("node-2", Ipv4Cidr.parse("10.244.1.0/24"));
        state.leaseNodeSubnet("node-1", Ipv4Cidr.parse("10.244.0.0/24"));
        state.addLease(new PodIpLease("node-1", "3f9a1c", "eth0", Ipv4.parse("10.244.0.2")));
        state.addLease(new PodIpLease("node-2", "77b0", "net1", Ipv4.parse("10.244.1.200")));
        state.lastReservedIp("node-1", Ipv4.parse("10.244.0.3"));

        final byte[] bytes = IpamStateCodec.encode(state);

        final String text = new String(bytes, StandardCharsets.UTF_8);
        assertEquals("""
            # podswitch IPAM state. Written by FileIpamStore; do not edit while an agent runs.
            podswitch-ipam-state 1
            layout 10.244.0.0/16 24
            node node-1 10.244.0.0/24
            node node-2 10.244.1.0/24
            last-reserved node-1 10.244.0.3
            pod node-1 10.244.0.2 3f9a1c eth0
            pod node-2 10.244.1.200 77b0 net1
            """, text.substring(0, text.indexOf("checksum ")));
        assertEquals(state, IpamStateCodec.decode(bytes, Path.of("ipam.state")));
    }

    @Test
    void shouldReadEmptyStateWhenNothingWasAllocated()
    {
        final IpamState empty = new IpamState();

        assertEquals(empty, IpamStateCodec.decode(IpamStateCodec.encode(empty), Path.of("ipam.state")));
    }
}
