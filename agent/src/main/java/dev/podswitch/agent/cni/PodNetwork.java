package dev.podswitch.agent.cni;

import java.util.Collection;
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

    /**
     * Undoes {@link #attach}: the pod, the port, the interface (if its namespace still exists), then
     * the IP lease — in that order, so an agent that dies half-way leaves a lease and a record
     * for the next DEL or restart, never a device without its lease.
     */
    void detach(CniAttachment attachment);

    /**
     * Undoes whatever an ADD that never finished may have left ({@link CniAttachment#pending}): the
     * pod, the port, a TAP of that name in that namespace (a TAP only: the proof that it is the one
     * the ADD made), the lease. Whatever of it exists; idempotent.
     */
    void discard(CniAttachment unfinished);

    /**
     * Releases every IP lease that neither a record in {@code recorded} nor an attachment of the
     * switch holds (an ADD that died between its lease and its record, before ADDs recorded their
     * intent first); returns what it released, for the log.
     */
    List<String> releaseUnattachedLeases(Collection<CniAttachment> recorded);

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
