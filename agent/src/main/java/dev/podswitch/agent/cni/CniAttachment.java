package dev.podswitch.agent.cni;

import java.util.Map;

/**
 * One pod interface made by ADD, as the agent keeps it in its state directory: enough to answer
 * CHECK, to undo it on DEL, and to attach it again after the agent restarts. Keyed, as the spec
 * says, by (container id, interface name).
 */
public record CniAttachment(String network, String containerId, String ifName, String netns, String podNamespace,
    String podName, Map<String, String> labels, String node, String ip, int prefixLength, String gateway, String mac)
{
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
