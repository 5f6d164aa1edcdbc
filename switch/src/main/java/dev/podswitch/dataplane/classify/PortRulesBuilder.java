package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.packet.IpProtocol;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Collects (protocol, port range, peers) items and the port-less peers of one endpoint-direction,
 * and cuts the ranges into disjoint segments, each carrying the union of the peers of every item
 * covering it.
 */
public final class PortRulesBuilder
{
    private final PeerSetBuilder anyProtocol = new PeerSetBuilder();
    private final List<List<Item>> itemsByProtocol = new ArrayList<>();

    private record Item(int first, int last, PeerSetBuilder peers)
    {
    }

    public PortRulesBuilder()
    {
        for (int i = 0; i < IpProtocol.PORTED_COUNT; i++)
        {
            itemsByProtocol.add(new ArrayList<>());
        }
    }

    /** Peers allowed on every protocol and port (a rule without ports). */
    public PortRulesBuilder anyProtocol(final PeerSetBuilder peers)
    {
        anyProtocol.add(peers);
        return this;
    }

    /** Peers allowed on {@code protocolNumber} ports {@code first..last}; other protocols are ignored. */
    public PortRulesBuilder ports(final int protocolNumber, final int first, final int last, final PeerSetBuilder peers)
    {
        final int index = IpProtocol.portedIndex(protocolNumber);
        if (index >= 0 && first <= last && !peers.isEmpty())
        {
            itemsByProtocol.get(index).add(new Item(first, last, peers));
        }
        return this;
    }

    public PortRules build()
    {
        final int[][] starts = new int[IpProtocol.PORTED_COUNT][];
        final PeerSet[][] peers = new PeerSet[IpProtocol.PORTED_COUNT][];
        for (int p = 0; p < IpProtocol.PORTED_COUNT; p++)
        {
            final List<Item> items = itemsByProtocol.get(p);
            final TreeSet<Integer> bounds = new TreeSet<>();
            for (final Item item : items)
            {
                bounds.add(item.first());
                bounds.add(item.last() + 1);
            }
            final List<Integer> segmentStarts = new ArrayList<>();
            final List<PeerSet> segmentPeers = new ArrayList<>();
            Integer previous = null;
            for (final Integer bound : bounds)
            {
                if (previous != null)
                {
                    final PeerSetBuilder union = new PeerSetBuilder();
                    for (final Item item : items)
                    {
                        if (item.first() <= previous && item.last() >= bound - 1)
                        {
                            union.add(item.peers());
                        }
                    }
                    segmentStarts.add(previous);
                    segmentPeers.add(union.build());
                }
                previous = bound;
            }
            if (previous != null)
            {
                // The last bound is one past the highest covered port: a segment of its own that
                // allows nothing, or a lookup above every item would land in the segment before it.
                segmentStarts.add(previous);
                segmentPeers.add(PeerSet.NONE);
            }
            starts[p] = segmentStarts.stream().mapToInt(Integer::intValue).toArray();
            peers[p] = segmentPeers.toArray(PeerSet[]::new);
        }
        return new PortRules(anyProtocol.build(), starts, peers);
    }
}
