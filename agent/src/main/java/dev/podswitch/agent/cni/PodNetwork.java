package dev.podswitch.agent.cni;

import java.util.List;
import java.util.Map;

/**
 * What the CNI handler needs of the node agent's cluster: make and undo a pod's interface in a
 * namespace the runtime made, and tell whether it is still right. {@link LivePodNetwork} is the
 * real one (TAP devices in the runtime's namespace, the live lab's switch); tests may fake it.
 */
public interface PodNetwork
{
    /** What ADD asks for. */
    /** @param mtu the pod interface's MTU, 0 for the kernel's default (1,500). */
    record AttachRequest(String network, String containerId, String ifName, String netns, String podNamespace,
        String podName, Map<String, String> labels, String node, int mtu)
    {
    }

    List<String> nodes();

    /** @throws CniError with the spec's code when it cannot (interface exists, no IP left, …); nothing is left behind. */
    CniAttachment attach(AttachRequest request);

    /** Undoes {@link #attach}: the interface (if its namespace still exists), the port, the IP lease, the pod. */
    void detach(CniAttachment attachment);

    /** Releases an IP lease held under (container id, ifname) without an attachment (after a failed ADD). */
    void releaseLease(String node, String containerId, String ifName);

    /** What {@link #reattach} found. */
    enum Reattached
    {
        /** Attached again, same IP and MAC. */
        YES,
        /** Its namespace or interface is gone: the pod is gone, its lease may be released. */
        GONE,
        /** Still there but could not be attached now (e.g. another process holds the device): keep everything. */
        FAILED
    }

    /** After an agent restart: attaches a recorded attachment again. */
    Reattached reattach(CniAttachment attachment);

    /** What is wrong with a recorded attachment now (CHECK); empty when nothing is. */
    List<String> problems(CniAttachment attachment);

    /** STATUS: null when ADD can be served, else why not. */
    String unavailableBecause();
}
