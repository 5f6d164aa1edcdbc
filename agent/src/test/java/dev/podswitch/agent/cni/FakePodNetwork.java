package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link PodNetwork} without namespaces or a switch, so {@link CniHandler}'s spec logic can be
 * tested without root: two nodes with pod CIDRs 10.244.0.0/24 and 10.244.1.0/24, IPs handed out
 * in order, and the leases kept in a map keyed like the real IPAM's (node, container id, ifname).
 * It can be told to fail an ADD after taking the lease — what a real ADD that dies half-way leaves.
 */
final class FakePodNetwork implements PodNetwork
{
    final Map<String, String> leases = new LinkedHashMap<>();
    final List<AttachRequest> attached = new ArrayList<>();
    final List<String> detached = new ArrayList<>();
    final List<String> discarded = new ArrayList<>();
    /** Run by the next ADD once it holds its lease (then cleared): e.g. fill the disk before the record is kept. */
    Runnable onNextAttach;
    List<String> problems = List.of();
    String unavailable;
    boolean failNextAttachAfterLeasing;
    /** Thrown by the next ADD (then cleared): what a bug deep in the agent would throw, an Error included. */
    Throwable throwOnNextAttach;
    private int nextHost = 2;

    @Override
    public List<String> nodes()
    {
        return List.of("node-1", "node-2");
    }

    static String leaseKey(final String node, final String containerId, final String ifName)
    {
        return node + "/" + containerId + "/" + ifName;
    }

    @Override
    public CniAttachment attach(final AttachRequest request)
    {
        if (throwOnNextAttach != null)
        {
            final Throwable thrown = throwOnNextAttach;
            throwOnNextAttach = null;
            throw sneaky(thrown);
        }
        final int third = request.node().equals("node-1") ? 0 : 1;
        final String ip = "10.244." + third + "." + nextHost++;
        leases.put(leaseKey(request.node(), request.containerId(), request.ifName()), ip);
        if (onNextAttach != null)
        {
            final Runnable then = onNextAttach;
            onNextAttach = null;
            then.run();
        }
        if (failNextAttachAfterLeasing)
        {
            failNextAttachAfterLeasing = false;
            throw new CniError(CniVersions.ATTACH_FAILED, "cannot attach the pod", "the fake failed after leasing " + ip);
        }
        attached.add(request);
        return new CniAttachment(request.network(), request.containerId(), request.ifName(), request.netns(),
            request.podNamespace(), request.podName(), request.labels(), request.node(), ip, 24,
            "10.244." + third + ".1", "0a:58:0a:f4:0" + third + ":0" + (nextHost - 1));
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(final Throwable thrown) throws T
    {
        throw (T)thrown;
    }

    @Override
    public void detach(final CniAttachment attachment)
    {
        detached.add(attachment.key());
        releaseLease(attachment.node(), attachment.containerId(), attachment.ifName());
    }

    @Override
    public void discard(final CniAttachment unfinished)
    {
        discarded.add(unfinished.key());
        attached.removeIf(request -> CniAttachment.key(request.containerId(), request.ifName()).equals(unfinished.key()));
        releaseLease(unfinished.node(), unfinished.containerId(), unfinished.ifName());
    }

    @Override
    public List<String> releaseUnattachedLeases(final Collection<CniAttachment> recorded)
    {
        final List<String> held = recorded.stream()
            .map(attachment -> leaseKey(attachment.node(), attachment.containerId(), attachment.ifName())).toList();
        final List<String> released = new ArrayList<>();
        for (final String key : List.copyOf(leases.keySet()))
        {
            if (!held.contains(key))
            {
                released.add(key + " " + leases.remove(key));
            }
        }
        return released;
    }

    @Override
    public void releaseLease(final String node, final String containerId, final String ifName)
    {
        leases.remove(leaseKey(node, containerId, ifName));
    }

    @Override
    public Reattached reattach(final CniAttachment attachment)
    {
        return Reattached.YES;
    }

    @Override
    public List<String> problems(final CniAttachment attachment)
    {
        return problems;
    }

    @Override
    public String unavailableBecause()
    {
        return unavailable;
    }
}
