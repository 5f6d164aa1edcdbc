package dev.podswitch.control.live;

import dev.podswitch.util.Closeables;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.port.tap.TapDevice;
import dev.podswitch.dataplane.port.tap.TapPort;
import dev.podswitch.ipam.cidr.Ipv4;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The live lab on top of an {@link ClusterDataplane}: every pod is a network namespace behind a
 * TAP port of its node, so real programs (ping, curl, iperf3, a JVM) talk through the switch's
 * pipeline — anti-spoofing, policy, conntrack, VXLAN between nodes — with kernel stacks at both
 * ends. Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN), /dev/net/tun and iproute2.
 *
 * <p>Every namespace and link it makes is named {@code psw} (or {@link #NAME_PREFIX_ENV}'s prefix) + a
 * random suffix, so parallel labs never collide and leftovers are easy to find
 * ({@code ip netns list | grep ^psw}), and carries
 * podswitch's mark ({@link NetworkNamespaces#OWNER_MARK}), so that {@code down --all} removes
 * those and never a {@code psw…} namespace somebody made by hand.
 *
 * <p>Threads: one driver thread makes every call; the cluster's node agents run continuously
 * while the lab is open. Lifecycle: the constructor starts the agents ({@link
 * ClusterDataplane#startLive()}), {@link #addPod}/{@link #removePod} while open, {@link #close()}
 * removes every pod (TAP closed, namespace deleted) and stops the agents; the caller closes the
 * cluster.
 */
public final class LiveLab implements AutoCloseable
{
    /**
     * Names another prefix than {@code psw}: one to four lowercase letters, for a test run that must
     * keep to names of its own on a shared host. {@code down} and the leftover scans then see only
     * that prefix's names.
     */
    public static final String NAME_PREFIX_ENV = "PODSWITCH_LIVE_PREFIX";
    public static final String NAME_PREFIX = namePrefix(System.getenv(NAME_PREFIX_ENV));

    private final ClusterDataplane cluster;
    private final Map<String, LivePod> podByName = new LinkedHashMap<>();

    public LiveLab(final ClusterDataplane cluster)
    {
        final Throwable cause = unavailabilityCause();
        if (cause != null)
        {
            throw new IllegalStateException("the live lab cannot run here: " + cause.getMessage(), cause);
        }
        this.cluster = cluster;
        cluster.startLive();
    }

    static String namePrefix(final String override)
    {
        if (override == null || override.isEmpty())
        {
            return "psw";
        }
        if (!override.matches("[a-z]{1,4}"))
        {
            // A longer one would not leave room for the suffix in a 15-character interface name.
            throw new IllegalStateException(NAME_PREFIX_ENV + "=" + override + " must be one to four lowercase letters");
        }
        return override;
    }

    public static boolean isAvailable()
    {
        return unavailabilityCause() == null;
    }

    /** Why live pods cannot be made here (no TAP support, not root, no iproute2), or null. */
    public static Throwable unavailabilityCause()
    {
        if (!TapDevice.isAvailable())
        {
            return TapDevice.unavailabilityCause();
        }
        if (IpCommand.ipPath() == null)
        {
            return new UnsupportedOperationException("iproute2's ip is not installed (apt-get install iproute2)");
        }
        return null;
    }

    public ClusterDataplane cluster()
    {
        return cluster;
    }

    public Map<String, LivePod> pods()
    {
        return Collections.unmodifiableMap(podByName);
    }

    /** Creates a pod's namespace, its TAP port on {@code nodeName}, and configures the pod's side. */
    public LivePod addPod(final String name, final String nodeName)
    {
        return addPod(name, nodeName, 0);
    }

    /** As {@link #addPod(String, String)} with a fixed IP from the node's pod CIDR (0: the next free one). */
    public LivePod addPod(final String name, final String nodeName, final int fixedIp)
    {
        return add(name, (namespace, tapName) -> cluster.addLivePod(name, nodeName, fixedIp,
            (node, portId, ip, mac) -> openPort(node, portId, tapName, namespace, ip, mac, false)));
    }

    /**
     * Creates an external host (an IP outside the cluster CIDR) as a namespace behind a TAP port on
     * {@code nodeName}'s uplink: its address is a /32 with an on-link route to the node gateway and
     * a default route through it, as a machine one hop from the node would have.
     */
    public LivePod addHost(final String name, final String nodeName, final int hostIp)
    {
        return add(name, (namespace, tapName) -> cluster.addLiveHost(name, nodeName, hostIp,
            (node, portId, ip, mac) -> openPort(node, portId, tapName, namespace, ip, mac, true)));
    }

    /** Namespaces and links made so far: {@code psw…} names, for state files and cleanup. */
    public List<String> namespaces()
    {
        return podByName.values().stream().map(LivePod::namespace).toList();
    }

    @FunctionalInterface
    private interface Attach
    {
        Attachment attach(String namespace, String tapName);
    }

    private LivePod add(final String name, final Attach attach)
    {
        final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        final String namespace = NAME_PREFIX + suffix;
        final String tapName = NAME_PREFIX + suffix;
        NetworkNamespaces.addOwned(namespace);
        try
        {
            final Attachment attachment = attach.attach(namespace, tapName);
            final ClusterNode node = attachment.node();
            final int prefixLength = attachment.kind() == LocalEndpoint.Kind.HOST ? 32 : node.podCidr().prefixLength();
            final LivePod pod = new LivePod(name, node.name(), namespace, tapName, attachment.ip(),
                prefixLength, node.gatewayIp(), attachment.mac(), (TapPort)attachment.port());
            podByName.put(name, pod);
            return pod;
        }
        catch (final RuntimeException | Error failed)
        {
            deleteNamespaceQuietly(namespace, failed);
            throw failed;
        }
    }

    private static TapPort openPort(final ClusterNode node, final int portId, final String tapName,
        final String namespace, final int ip, final long mac, final boolean host)
    {
        // Offloads only where a ring slot holds a 64 KiB super-frame (ClusterOptions.withFrames).
        final TapDevice device = TapDevice.open(tapName, node.datapath().ring().holdsSuperFrames());
        try
        {
            // The fd stays in this JVM; only the link moves into the pod's namespace, marked as
            // ours (it comes back to the root namespace if its namespace goes while the fd is open).
            IpCommand.ip("link", "set", tapName, "alias", NetworkNamespaces.OWNER_MARK, "netns", namespace);
            IpCommand.ip("-n", namespace, "link", "set", tapName, "address", LivePod.macText(mac));
            // No IPv6 link-local address: no DAD, router or MLD solicitations the switch would only count as drops.
            IpCommand.ip("-n", namespace, "link", "set", tapName, "addrgenmode", "none");
            IpCommand.ip("-n", namespace, "addr", "add", Ipv4.format(ip) + "/"
                + (host ? 32 : node.podCidr().prefixLength()), "dev", tapName);
            IpCommand.ip("-n", namespace, "link", "set", "lo", "up");
            IpCommand.ip("-n", namespace, "link", "set", tapName, "up");
            if (host)
            {
                // A /32 has no connected subnet: the gateway is reached on-link.
                IpCommand.ip("-n", namespace, "route", "add", Ipv4.format(node.gatewayIp()) + "/32", "dev", tapName);
            }
            IpCommand.ip("-n", namespace, "route", "add", "default", "via", Ipv4.format(node.gatewayIp()),
                "dev", tapName);
            return new TapPort(portId, device, node.datapath().ring().frameCapacity());
        }
        catch (final RuntimeException | Error failed)
        {
            Closeables.closeQuietly(device, failed);
            throw failed;
        }
    }

    /** Detaches the pod from its node, closes its TAP (the link goes) and deletes its namespace. */
    public void removePod(final String name)
    {
        final LivePod pod = podByName.remove(name);
        if (pod == null)
        {
            return;
        }
        try
        {
            cluster.detach(name);
        }
        finally
        {
            try
            {
                pod.port().close();
            }
            finally
            {
                // A shutdown hook (Ctrl-C, SIGTERM) may have deleted it already: gone is what we want.
                if (java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/netns", pod.namespace())))
                {
                    IpCommand.ip("netns", "delete", pod.namespace());
                }
            }
        }
    }

    /** Removes every pod, carrying on past failures (the first is thrown, the rest suppressed), then stops the agents. */
    @Override
    public void close()
    {
        RuntimeException first = null;
        for (final String name : new ArrayList<>(podByName.keySet()))
        {
            try
            {
                removePod(name);
            }
            catch (final RuntimeException failed)
            {
                if (first == null)
                {
                    first = failed;
                }
                else
                {
                    first.addSuppressed(failed);
                }
            }
        }
        cluster.stopLive();
        if (first != null)
        {
            throw first;
        }
    }

    private static void deleteNamespaceQuietly(final String namespace, final Throwable cause)
    {
        try
        {
            IpCommand.ip("netns", "delete", namespace);
        }
        catch (final RuntimeException alsoFailed)
        {
            cause.addSuppressed(alsoFailed);
        }
    }

    /** Every {@code psw…} namespace, whoever made it (see {@link #ownedLeftoverNamespaces}). */
    public static List<String> leftoverNamespaces()
    {
        final List<String> found = new ArrayList<>();
        for (final String line : IpCommand.ip("netns", "list").split("\n"))
        {
            final String namespace = line.strip().split("\\s+")[0];
            if (namespace.startsWith(NAME_PREFIX))
            {
                found.add(namespace);
            }
        }
        return found;
    }

    /** Leftovers of labs that did not close (a killed JVM): the {@code psw…} namespaces podswitch made. */
    public static List<String> ownedLeftoverNamespaces()
    {
        return leftoverNamespaces().stream().filter(NetworkNamespaces::isOwned).toList();
    }
}
