package dev.podswitch.agent;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.ipam.IpamStore;

import java.util.List;

/**
 * The cluster an agent serves when nobody hands it one: one node, {@code node-1}, with the
 * default pod CIDR (10.244.0.0/16 split into /24s, so node-1 has 10.244.0.0/24), running live —
 * its node thread on, ring slots large enough for TAP super-frames — and an empty model.
 */
public final class DefaultCluster
{
    public static final String CLUSTER_CIDR = "10.244.0.0/16";
    public static final int NODE_PREFIX_LENGTH = 24;
    public static final String NODE = "node-1";
    /** Live nodes' rings: 512 slots of 64 KiB (kernel stacks pace themselves; 32 MiB a node). */
    public static final int LIVE_RING_SIZE = 512;

    private DefaultCluster()
    {
    }

    public static ServedCluster oneNode(final IpamStore ipam, final ClusterOptions.Underlay underlay, final IdleMode idle,
        final ClusterModel.Limits limits, final int ringSlots)
    {
        final ClusterDataplane dataplane = ClusterDataplane.create(ClusterOptions.of(CLUSTER_CIDR, NODE_PREFIX_LENGTH,
            List.of(NODE), underlay).withThreading(1, idle).withFrames(ringSlots, Frame.OFFLOAD_CAPACITY), ipam);
        try
        {
            final ClusterModel model = new ClusterModel(dataplane::publishPolicy, limits);
            dataplane.startLive();
            return new ServedCluster(dataplane, model, dataplane);
        }
        catch (final RuntimeException | Error failed)
        {
            dataplane.close();
            throw failed;
        }
    }
}
