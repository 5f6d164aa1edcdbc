package dev.podswitch.dataplane.classify;

import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.dataplane.stats.PolicyVerdictCounters;

/**
 * The policy half of the classify stage: stateful NetworkPolicy enforcement. A packet of a
 * tracked connection — either direction, or an ICMP error about it — passes without a policy
 * lookup: replies are always allowed, as Kubernetes requires. The first packet of a connection is
 * judged by the compiled {@link PolicyTable} (egress when the sender is a pod on this node, ingress
 * when the receiver is) and, if allowed, starts a tracked connection. Denied packets create no
 * state.
 *
 * <p>A policy change applies to new connections; established ones continue, as iptables-based
 * CNIs behave — unless {@code -Dswitch.policy.reevaluateEstablished=true}, which re-judges a
 * connection's next packet in its original direction after every policy change and ends it if
 * the new policy denies it.
 *
 * <p>Each new connection is charged to the zone of the local endpoint it belongs to — its sender
 * when the sender is on this node, else its receiver, else one shared {@link
 * ConnectionTracker#FOREIGN_ZONE} — so one pod can fill only its own share of the node's table. A
 * connection its zone has no room for is dropped ({@link DropReason#CONNTRACK_ZONE_FULL}) rather
 * than forwarded untracked: untracked, its replies would be judged as new connections, and denied
 * wherever ingress is isolated. A flood aimed at a pod uses that pod's share (its receiver's zone):
 * it can starve the pod it targets, never its neighbours.
 *
 * <p>One per pipeline thread (it owns that thread's connection tracker); no allocation, lock or
 * exception per packet.
 */
public final class PolicyEnforcer
{
    public static final String REEVALUATE_PROP_NAME = "switch.policy.reevaluateEstablished";
    public static final boolean REEVALUATE_DEFAULT = false;
    private static final boolean REEVALUATE_ESTABLISHED =
        Boolean.parseBoolean(System.getProperty(REEVALUATE_PROP_NAME, Boolean.toString(REEVALUATE_DEFAULT)));

    private final ConnectionTracker tracker;
    private final boolean reevaluateEstablished;
    private final PolicyVerdictCounters verdicts = new PolicyVerdictCounters();
    private long lastHandle = ConnectionTracker.MISS;
    private boolean judgedNew;

    public PolicyEnforcer(final ConnectionTracker tracker)
    {
        this(tracker, REEVALUATE_ESTABLISHED);
    }

    public PolicyEnforcer(final ConnectionTracker tracker, final boolean reevaluateEstablished)
    {
        this.tracker = tracker;
        this.reevaluateEstablished = reevaluateEstablished;
    }

    public ConnectionTracker tracker()
    {
        return tracker;
    }

    /**
     * Whether the last admitted packet was judged as a connection's first (no tracked connection
     * let it through): the flow log records such a packet when it is forwarded.
     */
    public boolean judgedNewConnection()
    {
        return judgedNew;
    }

    /** How this enforcer judged first packets, by direction and action (its thread writes, anyone reads). */
    public PolicyVerdictCounters verdicts()
    {
        return verdicts;
    }

    /**
     * The connection the last admitted packet belongs to (its direction included), or
     * {@link ConnectionTracker#MISS} when it is untracked or an ICMP error about a connection —
     * what the forwarding fast path caches its decision in.
     */
    public long lastHandle()
    {
        return lastHandle;
    }

    /**
     * @param fromLocalPod the sender is a pod on this node: its egress policy applies here
     * @param table        says whether the receiver is a pod on this node (its ingress applies
     *                     here); consulted only for a connection's first packet
     * @return null when the packet may pass, else why it is dropped
     */
    public DropReason admit(final PacketMeta meta, final PolicyTable policy, final boolean fromLocalPod,
        final ForwardingTable table, final long nowNs)
    {
        lastHandle = ConnectionTracker.MISS;
        judgedNew = false;
        final long handle = tracker.lookup(meta, nowNs);
        if (handle != ConnectionTracker.MISS && !ConnectionTracker.isInvalid(handle))
        {
            lastHandle = ConnectionTracker.isRelated(handle) ? ConnectionTracker.MISS : handle;
            if (!reevaluateEstablished || ConnectionTracker.isReply(handle) || ConnectionTracker.isRelated(handle)
                || tracker.policyGeneration(handle) == policy.generation())
            {
                return null;
            }
            final DropReason denied = judge(meta, policy, fromLocalPod, isLocalPod(table, meta.ipDestination));
            if (denied != null)
            {
                lastHandle = ConnectionTracker.MISS;
                tracker.remove(handle);
                return denied;
            }
            tracker.policyGeneration(handle, policy.generation());
            return null;
        }
        final DropReason denied = judge(meta, policy, fromLocalPod, isLocalPod(table, meta.ipDestination));
        judgedNew = denied == null;
        if (denied == null && handle == ConnectionTracker.MISS)
        {
            final long inserted = tracker.insert(meta, nowNs, policy.generation(), zoneOf(meta, table));
            if (inserted == ConnectionTracker.ZONE_FULL)
            {
                judgedNew = false;
                return DropReason.CONNTRACK_ZONE_FULL;
            }
            // MISS: a window of entries it may not take, or a packet that cannot start a connection;
            // forwarded untracked (the tracker counts it).
            lastHandle = inserted;
        }
        return denied;
    }

    /**
     * The zone a new connection is charged to: the local endpoint that sent it (anti-spoofing made
     * the source address the sending port's own), else the one it is for, else the shared zone.
     */
    private static int zoneOf(final PacketMeta meta, final ForwardingTable table)
    {
        if (table.localByIp(meta.ipSource) != null)
        {
            return meta.ipSource;
        }
        return table.localByIp(meta.ipDestination) != null ? meta.ipDestination : ConnectionTracker.FOREIGN_ZONE;
    }

    private static boolean isLocalPod(final ForwardingTable table, final int ip)
    {
        final LocalEndpoint endpoint = table.localByIp(ip);
        return endpoint != null && endpoint.kind() == LocalEndpoint.Kind.POD;
    }

    private DropReason judge(final PacketMeta meta, final PolicyTable policy, final boolean fromLocalPod,
        final boolean toLocalPod)
    {
        final int port = IpProtocol.hasPorts(meta.ipProtocol) ? meta.destinationPort : 0;
        final int decision = policy.check(meta.ipSource, meta.ipDestination, meta.ipProtocol, port, fromLocalPod, toLocalPod);
        // Egress is judged first: a packet its sender may not send never meets the receiver's ingress.
        if (fromLocalPod)
        {
            verdicts.count(PolicyVerdictCounters.Direction.EGRESS, decision == PolicyTable.DENY_EGRESS
                ? PolicyVerdictCounters.Action.DENY : PolicyVerdictCounters.Action.ALLOW);
        }
        if (toLocalPod && decision != PolicyTable.DENY_EGRESS)
        {
            verdicts.count(PolicyVerdictCounters.Direction.INGRESS, decision == PolicyTable.DENY_INGRESS
                ? PolicyVerdictCounters.Action.DENY : PolicyVerdictCounters.Action.ALLOW);
        }
        return switch (decision)
        {
            case PolicyTable.DENY_EGRESS -> DropReason.POLICY_DENIED_EGRESS;
            case PolicyTable.DENY_INGRESS -> DropReason.POLICY_DENIED_INGRESS;
            default -> null;
        };
    }
}
