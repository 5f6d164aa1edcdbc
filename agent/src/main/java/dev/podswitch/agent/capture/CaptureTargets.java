package dev.podswitch.agent.capture;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.NodeDatapath;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a daemon offers {@code podswitch capture}: every pod with a port here, and every node's tunnel port. */
public final class CaptureTargets
{
    private CaptureTargets()
    {
    }

    /** Each node's VXLAN tunnel port, by node name (frames both ways, decoded as VXLAN). */
    public static Map<String, CaptureServer.Target> tunnels(final ClusterDataplane dataplane)
    {
        final Map<String, CaptureServer.Target> tunnels = new LinkedHashMap<>();
        for (final ClusterNode node : dataplane.nodes().values())
        {
            if (node.datapath().tunnel() != null)
            {
                tunnels.put(node.name(), new CaptureServer.Target("the tunnel port of " + node.name(), "vxlan",
                    node.name(), node.datapath(), NodeDatapath.TUNNEL_PORT_ID, true, node.vtepIp(),
                    dataplane.options().vni()));
            }
        }
        return tunnels;
    }

    /**
     * The model's pods that have a port on this process's nodes, by pod key; call it as the
     * cluster's driver (the attachments are the driver's).
     */
    public static Map<String, CaptureServer.Target> pods(final ModelSnapshot model, final ClusterDataplane dataplane)
    {
        final Map<String, CaptureServer.Target> pods = new LinkedHashMap<>();
        for (final Pod pod : model.pods().values())
        {
            final Attachment attachment = pod.attachment() == null ? null : dataplane.attachment(pod.attachment());
            if (attachment != null)
            {
                final String portName = pod.attachment().substring(pod.attachment().lastIndexOf('/') + 1);
                pods.put(pod.key(), new CaptureServer.Target(pod.key(), portName, attachment.node().name(),
                    attachment.node().datapath(), attachment.port().id(), false, 0, 0));
            }
        }
        return pods;
    }
}
