package dev.podswitch.control.interop;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.control.live.NetworkNamespaces;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.util.Closeables;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes node as flannel's vxlan backend builds one, made with iproute2 only and run by the
 * Linux kernel, to prove podswitch's VXLAN against a VXLAN implementation nobody here wrote.
 *
 * <p>In its own namespace {@code psw<suffix>k}: a bridge (flannel's {@code cni0}) holding the node
 * gateway address, pods as namespaces joined to it by veth pairs (default route via the gateway),
 * a {@code vxlan} device (flannel's {@code flannel.1}: VNI, UDP dstport 4789, {@code nolearning},
 * local = its underlay address), IPv4 forwarding on. Its underlay is a veth pair: {@code
 * psw<suffix>u0} stays in the root namespace with {@code rootUnderlayIp}, {@code psw<suffix>u1}
 * in the node's namespace with {@code nodeUnderlayIp}, one /30 used only between the two ends.
 * {@link #addRemoteNode} then does what flannel does per peer node: a route to the peer's pod CIDR
 * via its network address {@code onlink} over the vxlan device, a permanent neighbour entry mapping
 * that next hop to the peer's VTEP MAC, and an FDB entry mapping the MAC to the peer's VTEP IP.
 *
 * <p>Every name is {@code psw} + one random suffix; {@link #close()} deletes the namespaces (their
 * links go with them) and the root end of the underlay. Needs root and iproute2 (ip, bridge).
 * Driver thread only.
 */
public final class KernelVxlanNode implements AutoCloseable
{
    /** flannel's default: a 1500-byte underlay minus 50 bytes of VXLAN over IPv4. */
    public static final int VXLAN_MTU = 1450;
    private static final Pattern MAC = Pattern.compile("\"address\"\\s*:\\s*\"([0-9a-fA-F:]{17})\"");

    /** A pod of the kernel node: a namespace whose interface is one end of a veth on the bridge. */
    public record KernelPod(String name, String namespace, String interfaceName, int ip)
    {
        public String ipText()
        {
            return Ipv4.format(ip);
        }

        public IpCommand.Result exec(final String... programAndArgs)
        {
            return IpCommand.execIn(namespace, programAndArgs);
        }

        public <T> T callIn(final Callable<T> task) throws Exception
        {
            return NetworkNamespaces.callIn(namespace, task);
        }
    }

    private final String suffix;
    private final String namespace;
    private final String rootUnderlayLink;
    private final String nodeUnderlayLink;
    private final String bridgeLink;
    private final String vxlanLink;
    private final Ipv4Cidr podCidr;
    private final int gatewayIp;
    private final int rootUnderlayIp;
    private final int nodeUnderlayIp;
    private final int underlayPrefixLength;
    private final int vni;
    private final List<String> ownedNamespaces = new ArrayList<>();
    private final List<KernelPod> pods = new ArrayList<>();
    private long vxlanMac;

    private KernelVxlanNode(final Ipv4Cidr podCidr, final int rootUnderlayIp, final int nodeUnderlayIp,
        final int underlayPrefixLength, final int vni)
    {
        this.suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.namespace = LiveLab.NAME_PREFIX + suffix + "k";
        this.rootUnderlayLink = LiveLab.NAME_PREFIX + suffix + "u0";
        this.nodeUnderlayLink = LiveLab.NAME_PREFIX + suffix + "u1";
        this.bridgeLink = LiveLab.NAME_PREFIX + suffix + "br";
        this.vxlanLink = LiveLab.NAME_PREFIX + suffix + "vx";
        this.podCidr = podCidr;
        this.gatewayIp = podCidr.network() + 1;
        this.rootUnderlayIp = rootUnderlayIp;
        this.nodeUnderlayIp = nodeUnderlayIp;
        this.underlayPrefixLength = underlayPrefixLength;
        this.vni = vni;
    }

    /**
     * Builds the node: namespace, underlay veth pair (root end up with {@code rootUnderlayIp}),
     * bridge with the gateway (the pod CIDR's first address), vxlan device, forwarding. On failure
     * everything made so far is removed and the failure thrown.
     */
    public static KernelVxlanNode create(final Ipv4Cidr podCidr, final int rootUnderlayIp, final int nodeUnderlayIp,
        final int underlayPrefixLength, final int vni)
    {
        final KernelVxlanNode node = new KernelVxlanNode(podCidr, rootUnderlayIp, nodeUnderlayIp, underlayPrefixLength,
            vni);
        try
        {
            node.build();
            return node;
        }
        catch (final RuntimeException | Error failed)
        {
            Closeables.closeQuietly(node, failed);
            throw failed;
        }
    }

    private void build()
    {
        IpCommand.ip("netns", "add", namespace);
        ownedNamespaces.add(namespace);
        IpCommand.ip("-n", namespace, "link", "set", "lo", "up");
        // The underlay: one veth pair, root end here, node end in the node's namespace.
        IpCommand.ip("link", "add", rootUnderlayLink, "type", "veth", "peer", "name", nodeUnderlayLink, "netns",
            namespace);
        IpCommand.ip("link", "set", rootUnderlayLink, "addrgenmode", "none");
        IpCommand.ip("addr", "add", Ipv4.format(rootUnderlayIp) + "/" + underlayPrefixLength, "dev", rootUnderlayLink);
        IpCommand.ip("link", "set", rootUnderlayLink, "up");
        IpCommand.ip("-n", namespace, "link", "set", nodeUnderlayLink, "addrgenmode", "none");
        IpCommand.ip("-n", namespace, "addr", "add", Ipv4.format(nodeUnderlayIp) + "/" + underlayPrefixLength, "dev",
            nodeUnderlayLink);
        IpCommand.ip("-n", namespace, "link", "set", nodeUnderlayLink, "up");
        // A real NIC fills in checksums the stack left to it; a veth hands the skb across as is, so the
        // inner TCP checksum of a VXLAN packet would still be partial (pseudo-header only) when podswitch
        // reads the datagram. Checksumming in software before the "wire" makes the bytes what a NIC sends.
        final IpCommand.Result checksums = IpCommand.execIn(namespace, "ethtool", "-K", nodeUnderlayLink, "tx", "off");
        if (!checksums.succeeded())
        {
            throw new IllegalStateException("cannot turn off checksum offload on " + nodeUnderlayLink
                + " (apt-get install ethtool): " + checksums.output().strip());
        }
        // cni0: the bridge plugin's bridge, holding the node gateway.
        IpCommand.ip("-n", namespace, "link", "add", bridgeLink, "type", "bridge");
        IpCommand.ip("-n", namespace, "link", "set", bridgeLink, "addrgenmode", "none");
        IpCommand.ip("-n", namespace, "addr", "add", Ipv4.format(gatewayIp) + "/" + podCidr.prefixLength(), "dev",
            bridgeLink);
        IpCommand.ip("-n", namespace, "link", "set", bridgeLink, "up");
        // flannel.1: what flannel's vxlan backend creates (vxlan.go: VNI, local, dev, port, nolearning).
        IpCommand.ip("-n", namespace, "link", "add", vxlanLink, "mtu", Integer.toString(VXLAN_MTU), "type", "vxlan",
            "id", Integer.toString(vni), "local", Ipv4.format(nodeUnderlayIp), "dev", nodeUnderlayLink,
            "dstport", "4789", "nolearning");
        IpCommand.ip("-n", namespace, "link", "set", vxlanLink, "addrgenmode", "none");
        IpCommand.ip("-n", namespace, "link", "set", vxlanLink, "up");
        vxlanMac = macOf(namespace, vxlanLink);
        final IpCommand.Result forwarding = IpCommand.execIn(namespace, "sh", "-c",
            "echo 1 > /proc/sys/net/ipv4/ip_forward");
        if (!forwarding.succeeded())
        {
            throw new IllegalStateException("cannot enable forwarding in " + namespace + ": " + forwarding.output());
        }
    }

    /** Adds a pod: its namespace, a veth pair (node end on the bridge), the pod IP and a default route via the gateway. */
    public KernelPod addPod(final String name, final int ip)
    {
        if (!podCidr.contains(ip) || ip == gatewayIp || ip == podCidr.network())
        {
            throw new IllegalArgumentException(Ipv4.format(ip) + " is not a pod address of " + podCidr);
        }
        final int index = pods.size() + 1;
        final String podNamespace = LiveLab.NAME_PREFIX + suffix + "p" + index;
        final String hostEnd = LiveLab.NAME_PREFIX + suffix + "h" + index;
        final String podEnd = LiveLab.NAME_PREFIX + suffix + "e" + index;
        IpCommand.ip("netns", "add", podNamespace);
        ownedNamespaces.add(podNamespace);
        IpCommand.ip("-n", namespace, "link", "add", hostEnd, "mtu", Integer.toString(VXLAN_MTU), "type", "veth",
            "peer", "name", podEnd, "netns", podNamespace);
        IpCommand.ip("-n", namespace, "link", "set", hostEnd, "addrgenmode", "none");
        IpCommand.ip("-n", namespace, "link", "set", hostEnd, "master", bridgeLink);
        IpCommand.ip("-n", namespace, "link", "set", hostEnd, "up");
        IpCommand.ip("-n", podNamespace, "link", "set", "lo", "up");
        IpCommand.ip("-n", podNamespace, "link", "set", podEnd, "mtu", Integer.toString(VXLAN_MTU));
        IpCommand.ip("-n", podNamespace, "link", "set", podEnd, "addrgenmode", "none");
        IpCommand.ip("-n", podNamespace, "addr", "add", Ipv4.format(ip) + "/" + podCidr.prefixLength(), "dev", podEnd);
        IpCommand.ip("-n", podNamespace, "link", "set", podEnd, "up");
        IpCommand.ip("-n", podNamespace, "route", "add", "default", "via", Ipv4.format(gatewayIp), "dev", podEnd);
        final KernelPod pod = new KernelPod(name, podNamespace, podEnd, ip);
        pods.add(pod);
        return pod;
    }

    /**
     * What flannel does for each other node: route its pod CIDR via its network address, on-link
     * over the vxlan device; a permanent neighbour entry for that next hop with the peer's VTEP
     * MAC; an FDB entry sending that MAC to the peer's VTEP IP.
     */
    public void addRemoteNode(final Ipv4Cidr remotePodCidr, final long remoteVtepMac, final int remoteVtepIp)
    {
        final String nextHop = Ipv4.format(remotePodCidr.network());
        final String mac = LivePod.macText(remoteVtepMac);
        IpCommand.ip("-n", namespace, "route", "add", remotePodCidr.toString(), "via", nextHop, "dev", vxlanLink,
            "onlink");
        IpCommand.ip("-n", namespace, "neigh", "replace", nextHop, "lladdr", mac, "dev", vxlanLink, "nud", "permanent");
        final IpCommand.Result fdb = IpCommand.execIn(namespace, "bridge", "fdb", "replace", mac, "dev", vxlanLink,
            "dst", Ipv4.format(remoteVtepIp), "self", "permanent");
        if (!fdb.succeeded())
        {
            throw new IllegalStateException(String.join(" ", fdb.command()) + " failed (exit " + fdb.exitStatus()
                + "): " + fdb.output().strip());
        }
    }

    /** The MAC of a link as {@code ip -j link show} reports it. */
    public static long macOf(final String namespace, final String link)
    {
        final String json = IpCommand.ip("-n", namespace, "-j", "link", "show", "dev", link);
        final Matcher matcher = MAC.matcher(json);
        if (!matcher.find())
        {
            throw new IllegalStateException("no MAC for " + link + " in " + namespace + ": " + json);
        }
        return Long.parseLong(matcher.group(1).replace(":", ""), 16);
    }

    public String namespace()
    {
        return namespace;
    }

    /** The underlay link's root-namespace end, where a capture sees both directions. */
    public String rootUnderlayLink()
    {
        return rootUnderlayLink;
    }

    public String vxlanLink()
    {
        return vxlanLink;
    }

    /** The vxlan device's MAC: the inner destination MAC frames for this node must carry. */
    public long vxlanMac()
    {
        return vxlanMac;
    }

    public Ipv4Cidr podCidr()
    {
        return podCidr;
    }

    public int gatewayIp()
    {
        return gatewayIp;
    }

    public int nodeUnderlayIp()
    {
        return nodeUnderlayIp;
    }

    public int rootUnderlayIp()
    {
        return rootUnderlayIp;
    }

    public int vni()
    {
        return vni;
    }

    public List<KernelPod> pods()
    {
        return Collections.unmodifiableList(pods);
    }

    /** Runs {@code ip args…} inside the node's namespace ({@code ip -n}); for diagnostics. */
    public String ipIn(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("-n", namespace));
        command.addAll(List.of(args));
        return IpCommand.ip(command.toArray(String[]::new));
    }

    /**
     * Deletes the pod namespaces and the node's namespace (their links with them: the node end of
     * the underlay takes the root end along), then the root end if it is somehow still there.
     * Carries on past failures: the first is thrown, the rest suppressed.
     */
    @Override
    public void close()
    {
        RuntimeException first = null;
        for (int i = ownedNamespaces.size() - 1; i >= 0; i--)
        {
            try
            {
                IpCommand.ip("netns", "delete", ownedNamespaces.get(i));
            }
            catch (final RuntimeException failed)
            {
                first = collect(first, failed);
            }
        }
        ownedNamespaces.clear();
        if (linkExists(rootUnderlayLink))
        {
            try
            {
                IpCommand.ip("link", "delete", rootUnderlayLink);
            }
            catch (final RuntimeException failed)
            {
                first = collect(first, failed);
            }
        }
        if (first != null)
        {
            throw first;
        }
    }

    private static boolean linkExists(final String link)
    {
        try
        {
            IpCommand.ip("link", "show", "dev", link);
            return true;
        }
        catch (final IllegalStateException absent)
        {
            return false;
        }
    }

    private static RuntimeException collect(final RuntimeException first, final RuntimeException next)
    {
        if (first == null)
        {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    @Override
    public String toString()
    {
        return "KernelVxlanNode{" + namespace + ", pods " + podCidr + ", VTEP " + Ipv4.format(nodeUnderlayIp) + " on "
            + vxlanLink + " (" + LivePod.macText(vxlanMac) + "), VNI " + vni + "}";
    }
}
