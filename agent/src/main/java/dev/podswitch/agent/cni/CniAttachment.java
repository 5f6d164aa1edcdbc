package dev.podswitch.agent.cni;

import java.util.Map;

/**
 * One pod interface made by ADD, as the agent keeps it in its state directory: enough to answer
 * CHECK, to undo it on DEL, and to attach it again after the agent restarts. Keyed, as the spec
 * says, by (container id, interface name).
 *
 * <p>A {@code pending} record is an ADD's intent, kept before the ADD leases an IP or makes a
 * device (its ip, gateway and mac are not known yet, so null): if the agent dies before the ADD
 * finishes, the record says which lease and which TAP in which namespace may be left, so a restart,
 * a retried ADD, DEL or GC can undo them. A finished ADD replaces it with the full record.
 */
public record CniAttachment(String network, String containerId, String ifName, String netns, String podNamespace,
    String podName, Map<String, String> labels, String node, String ip, int prefixLength, String gateway, String mac,
    boolean pending)
{
    /** A finished attachment. */
    public CniAttachment(final String network, final String containerId, final String ifName, final String netns,
        final String podNamespace, final String podName, final Map<String, String> labels, final String node,
        final String ip, final int prefixLength, final String gateway, final String mac)
    {
        this(network, containerId, ifName, netns, podNamespace, podName, labels, node, ip, prefixLength, gateway, mac,
            false);
    }

    /** What an ADD is about to make, recorded before it makes anything. */
    static CniAttachment intent(final PodNetwork.AttachRequest request)
    {
        return new CniAttachment(request.network(), request.containerId(), request.ifName(), request.netns(),
            request.podNamespace(), request.podName(), request.labels(), request.node(), null, 0, null, null, true);
    }

    public String key()
    {
        return key(containerId, ifName);
    }

    public static String key(final String containerId, final String ifName)
    {
        return containerId + "/" + ifName;
    }

    /** The pod as NetworkPolicy sees it: {@code namespace/name}. */
    public String podKey()
    {
        return podNamespace + "/" + podName;
    }
}
