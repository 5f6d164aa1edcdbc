package dev.podswitch.agent.cni;

import dev.podswitch.control.Attachment;
import dev.podswitch.cni.CniVersions;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.dataplane.port.tap.TapDevice;
import dev.podswitch.dataplane.port.tap.TapPort;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.Pod;

import java.util.ArrayList;
import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * CNI pod interfaces on the agent's live lab. The interface is a TAP device the switch owns,
 * created straight inside the runtime's namespace (the opening thread joins CNI_NETNS, so the TAP
 * is born there with the name CNI_IFNAME — nothing is moved, and a name already taken fails ADD).
 * It is made persistent: the device outlives the agent's fd, so when the agent restarts the pod
 * keeps its interface, address and routes, and the agent opens the device again by name and
 * re-attaches it (traffic pauses meanwhile, as with any CNI's dataplane restart). A veth pair read
 * through a packet socket would survive too, but would cost a copy and a socket per pod and lose
 * the TAP's offloads; a TAP is what the live lab's pods already use.
 *
 * <p>The pod's side is configured as the live lab configures its pods: the MAC {@code 0a:58:}+IP,
 * no IPv6 link-local, the address in the node's pod CIDR, a default route via the node gateway,
 * all with one {@code ip -batch} in the namespace. Driver thread only (the agent serialises).
 *
 * <p>Why this file is over 400 lines: making, re-attaching and removing a pod's network (the TAP
 * inside its namespace, the TAP's configuration, the port, the pod) share the bounded namespace
 * entry, the offload choice and the removal of a half-made device on failure; kept together so
 * each path undoes exactly what it did.
 */
public final class LivePodNetwork implements PodNetwork
{
    private final ClusterDataplane cluster;
    private final ClusterModel model;
    /** Labels set through the API on pods of a previous run, by pod key: they win over the runtime's. */
    private final Map<String, Map<String, String>> keptLabels;
    private final int defaultMtu;

    public LivePodNetwork(final ClusterDataplane cluster, final ClusterModel model,
        final Map<String, Map<String, String>> keptLabels)
    {
        this(cluster, model, keptLabels, 0);
    }

    /**
     * @param defaultMtu the MTU of a pod's interface when the network config sets none (0: the
     *                   kernel's 1500); over a VXLAN underlay, the underlay's MTU minus 50.
     */
    public LivePodNetwork(final ClusterDataplane cluster, final ClusterModel model,
        final Map<String, Map<String, String>> keptLabels, final int defaultMtu)
    {
        this.cluster = cluster;
        this.model = model;
        this.keptLabels = Map.copyOf(keptLabels);
        this.defaultMtu = defaultMtu;
    }

    @Override
    public List<String> nodes()
    {
        return List.copyOf(cluster.nodes().keySet());
    }

    private static String clusterName(final String containerId, final String ifName)
    {
        return "cni:" + containerId + "/" + ifName;
    }

    @Override
    public CniAttachment attach(final AttachRequest request)
    {
        final String podKey = request.podNamespace() + "/" + request.podName();
        if (model.snapshot().pods().containsKey(podKey))
        {
            throw new CniError(CniVersions.ATTACH_FAILED, "pod name taken",
                "a pod " + podKey + " already exists in the agent's cluster (K8S_POD_NAMESPACE/K8S_POD_NAME)");
        }
        if (IpCommand.ipInNamespacePath(request.netns(), "link", "show", "dev", request.ifName()).succeeded())
        {
            throw new CniError(CniVersions.ALREADY_ATTACHED, "interface already exists",
                request.ifName() + " already exists in " + request.netns());
        }
        final Attachment attached;
        final String name = clusterName(request.containerId(), request.ifName());
        try
        {
            // The pod enters the cluster model (and so every policy's selectors) before its port
            // carries a frame: a pod unknown to policy would count as not isolated for a moment.
            attached = cluster.addLivePod(name, request.node(), request.containerId(), request.ifName(), 0,
                (node, portId, ip, mac) -> registeredBeforeLive(createInterface(request, defaultMtu, node, portId, ip, mac),
                    new Pod(request.podNamespace(), request.podName(), node.name(), ip,
                        labelsOf(podKey, request.labels()), List.of(), name)));
        }
        catch (final CniError error)
        {
            unregister(podKey, name);
            throw error;
        }
        catch (final RuntimeException failed)
        {
            unregister(podKey, name);
            throw new CniError(CniVersions.ATTACH_FAILED, "cannot attach the pod", failed.getMessage());
        }
        final ClusterNode node = attached.node();
        return new CniAttachment(request.network(), request.containerId(), request.ifName(),
            request.netns(), request.podNamespace(), request.podName(), request.labels(), node.name(),
            Ipv4.format(attached.ip()), node.podCidr().prefixLength(), Ipv4.format(node.gatewayIp()),
            LivePod.macText(attached.mac()));
    }

    /**
     * Registers the pod in the cluster model — compiled and published to every node — and only
     * then hands its port back to be attached; if the model refuses, the device goes again.
     */
    private TapPort registeredBeforeLive(final TapPort port, final Pod pod)
    {
        try
        {
            register(pod);
            return port;
        }
        catch (final RuntimeException refused)
        {
            removeDevice(port.device());
            throw refused;
        }
    }

    private static TapPort createInterface(final AttachRequest request, final int defaultMtu, final ClusterNode node,
        final int portId, final int ip, final long mac)
    {
        CrashPoint.ADD_AFTER_LEASE.reach();
        final TapDevice device = openIn(request.netns(), request.ifName(), node.datapath().ring().holdsSuperFrames());
        try
        {
            device.persistent(true);
            CrashPoint.ADD_AFTER_TAP.reach();
            final List<String> commands = new ArrayList<>();
            final int mtu = request.mtu() > 0 ? request.mtu() : defaultMtu;
            if (mtu > 0)
            {
                commands.add("link set dev " + request.ifName() + " mtu " + mtu);
            }
            commands.addAll(List.of(
                "link set dev " + request.ifName() + " address " + LivePod.macText(mac),
                "link set dev " + request.ifName() + " addrgenmode none",
                "addr add " + Ipv4.format(ip) + "/" + node.podCidr().prefixLength() + " dev " + request.ifName(),
                "link set dev lo up",
                "link set dev " + request.ifName() + " up",
                "route add default via " + Ipv4.format(node.gatewayIp()) + " dev " + request.ifName()));
            IpCommand.batchInNamespacePath(request.netns(), commands);
            return new TapPort(portId, device, node.datapath().ring().frameCapacity());
        }
        catch (final RuntimeException | Error failed)
        {
            removeDevice(device);
            throw failed;
        }
    }

    /**
     * Creates the pod's TAP; fails (EBUSY) when the namespace has a link of that name already. Entering
     * the namespace is bounded in time; a device opened after the deadline is closed, which removes it.
     */
    private static TapDevice openIn(final String netns, final String ifName, final boolean offloads)
    {
        return inNamespace(netns, () -> TapDevice.open(ifName, offloads));
    }

    /** Attaches to the pod's persistent TAP; fails (EBUSY) while another agent holds it. */
    private static TapDevice reattachIn(final String netns, final String ifName, final boolean offloads)
    {
        return inNamespace(netns, () -> TapDevice.reattach(ifName, offloads));
    }

    private static TapDevice inNamespace(final String netns, final Callable<TapDevice> open)
    {
        try
        {
            return BoundedNamespaceCall.call(netns, BoundedNamespaceCall.DEFAULT_TIMEOUT_MS, open, TapDevice::close);
        }
        catch (final RuntimeException failed)
        {
            throw failed;
        }
        catch (final Exception failed)
        {
            throw new IllegalStateException(failed.getMessage(), failed);
        }
    }

    /** Not persistent any more, then closed: the kernel removes the device. */
    private static void removeDevice(final TapDevice device)
    {
        try
        {
            device.persistent(false);
        }
        finally
        {
            device.close();
        }
    }

    /** Labels set through the API on this pod in a previous run win over the runtime's. */
    private Map<String, String> labelsOf(final String podKey, final Map<String, String> fromRuntime)
    {
        return keptLabels.getOrDefault(podKey, fromRuntime);
    }

    /** The pod enters the cluster model (and so NetworkPolicy): compiled and published before this returns. */
    private void register(final Pod pod)
    {
        try
        {
            model.apply(new ClusterChange.AddPod(pod));
        }
        catch (final ModelException | IOException refused)
        {
            throw new IllegalStateException(refused.getMessage(), refused);
        }
    }

    /** Takes the pod out of the model — only if it is this attachment's pod, never a namesake of another kind. */
    private void unregister(final String podKey, final String attachmentName)
    {
        final Pod pod = model.snapshot().pods().get(podKey);
        if (pod == null || !attachmentName.equals(pod.attachment()))
        {
            return;
        }
        try
        {
            model.apply(new ClusterChange.RemovePod(podKey));
        }
        catch (final ModelException | IOException refused)
        {
            throw new IllegalStateException(refused.getMessage(), refused);
        }
    }

    @Override
    public void detach(final CniAttachment attachment)
    {
        final String name = clusterName(attachment.containerId(), attachment.ifName());
        unregister(attachment.podKey(), name);
        removeInterface(name, attachment, true);
        CrashPoint.DEL_AFTER_TAP.reach();
        releaseLease(attachment.node(), attachment.containerId(), attachment.ifName());
        CrashPoint.DEL_AFTER_LEASE.reach();
    }

    @Override
    public void discard(final CniAttachment unfinished)
    {
        final String name = clusterName(unfinished.containerId(), unfinished.ifName());
        unregister(unfinished.podKey(), name);
        removeInterface(name, unfinished, false);
        releaseLease(unfinished.node(), unfinished.containerId(), unfinished.ifName());
    }

    /**
     * The port (its lease kept: released last, by the caller) and the device: through the port's
     * fd when this run attached it, else — after a restart — by name in the namespace, if it is
     * still there and is a TAP. {@code recorded}: a finished attachment, whose device is ours
     * whatever it is; for an unfinished one only a persistent TAP can be the one the ADD made.
     */
    private void removeInterface(final String name, final CniAttachment attachment, final boolean recorded)
    {
        final Attachment attached = cluster.detach(name, false);
        if (attached != null && attached.port() instanceof final TapPort port)
        {
            try
            {
                port.device().persistent(false);
            }
            catch (final RuntimeException namespaceGone)
            {
                // The device went with its namespace; closing the fd is all that is left.
            }
            port.close();
            return;
        }
        if (isNamespace(attachment.netns()))
        {
            final IpCommand.Result shown = IpCommand.ipInNamespacePath(attachment.netns(), "-d", "-o", "link", "show", "dev",
                attachment.ifName());
            if (shown.succeeded() && (recorded || shown.output().contains("tun type tap")))
            {
                IpCommand.ipInNamespacePath(attachment.netns(), "link", "del", "dev", attachment.ifName());
            }
        }
    }

    /** Whether {@code netns} is (still) a network namespace ADD could use: not gone, not reused for something else. */
    private static boolean isNamespace(final String netns)
    {
        try
        {
            NetworkNamespaceFile.require(netns);
            return true;
        }
        catch (final CniError notNow)
        {
            return false;
        }
    }

    @Override
    public List<String> releaseUnattachedLeases(final Collection<CniAttachment> recorded)
    {
        final Set<String> held = new HashSet<>();
        for (final CniAttachment attachment : recorded)
        {
            held.add(leaseKey(attachment.node(), attachment.containerId(), attachment.ifName()));
        }
        for (final Attachment attached : cluster.attachments().values())
        {
            if (attached.leaseContainerId() != null)
            {
                held.add(leaseKey(attached.node().name(), attached.leaseContainerId(), attached.leaseIfName()));
            }
        }
        final List<String> released = new ArrayList<>();
        for (final PodIpLease lease : cluster.ipam().allocations())
        {
            if (!held.contains(leaseKey(lease.node(), lease.containerId(), lease.ifName())))
            {
                cluster.ipam().release(lease.node(), lease.containerId(), lease.ifName());
                released.add(lease.toString());
            }
        }
        return released;
    }

    private static String leaseKey(final String node, final String containerId, final String ifName)
    {
        return node + "/" + containerId + "/" + ifName;
    }

    @Override
    public void releaseLease(final String node, final String containerId, final String ifName)
    {
        cluster.ipam().release(node, containerId, ifName);
    }

    @Override
    public Reattached reattach(final CniAttachment attachment)
    {
        if (!isNamespace(attachment.netns())
            || !IpCommand.ipInNamespacePath(attachment.netns(), "link", "show", "dev", attachment.ifName()).succeeded())
        {
            // Checked first: opening the TAP by name would otherwise make a new, unconfigured one.
            return Reattached.GONE;
        }
        if (!cluster.nodes().containsKey(attachment.node()))
        {
            return Reattached.FAILED;
        }
        final String name = clusterName(attachment.containerId(), attachment.ifName());
        try
        {
            cluster.addLivePod(name, attachment.node(), attachment.containerId(), attachment.ifName(),
                Ipv4.parse(attachment.ip()), (node, portId, ip, mac) ->
                {
                    final TapPort port = new TapPort(portId, reattachIn(attachment.netns(), attachment.ifName(),
                        node.datapath().ring().holdsSuperFrames()), node.datapath().ring().frameCapacity());
                    try
                    {
                        register(new Pod(attachment.podNamespace(), attachment.podName(), node.name(), ip,
                            labelsOf(attachment.podKey(), attachment.labels()), List.of(), name));
                        return port;
                    }
                    catch (final RuntimeException refused)
                    {
                        port.close();
                        throw refused;
                    }
                });
            return Reattached.YES;
        }
        catch (final RuntimeException busy)
        {
            // EBUSY (another agent holds the device), or the model refused the pod: nothing here
            // says the pod is gone, so its lease and record stay for a later run or the runtime's DEL.
            unregister(attachment.podKey(), name);
            return Reattached.FAILED;
        }
    }

    @Override
    public List<String> problems(final CniAttachment attachment)
    {
        final List<String> problems = new ArrayList<>();
        if (!isNamespace(attachment.netns()))
        {
            problems.add("network namespace " + attachment.netns() + " is gone");
            return problems;
        }
        final IpCommand.Result shown = IpCommand.ipInNamespacePath(attachment.netns(), "-o", "addr", "show", "dev",
            attachment.ifName());
        if (!shown.succeeded())
        {
            problems.add(attachment.ifName() + " does not exist in " + attachment.netns());
        }
        else if (!shown.output().contains("inet " + attachment.ip() + "/" + attachment.prefixLength() + " "))
        {
            problems.add(attachment.ifName() + " does not have " + attachment.ip() + "/" + attachment.prefixLength());
        }
        if (!cluster.attachments().containsKey(clusterName(attachment.containerId(), attachment.ifName())))
        {
            problems.add("the switch has no port for it");
        }
        return problems;
    }

    @Override
    public String unavailableBecause()
    {
        return cluster.isLive() ? null : "the agent's switch is not running";
    }

    /** Closes the fds of every CNI interface without removing the devices: for an agent that stops and will return. */
    public void closeKeepingInterfaces()
    {
        for (final Attachment attached : List.copyOf(cluster.attachments().values()))
        {
            if (attached.name().startsWith("cni:") && attached.port() instanceof final TapPort port)
            {
                cluster.detach(attached.name(), false);
                port.close();
            }
        }
    }
}
