package dev.podswitch.dataplane;

import dev.podswitch.dataplane.capture.FrameMirror;
import dev.podswitch.dataplane.capture.MirroringPort;
import dev.podswitch.dataplane.classify.AntiSpoofCheck;
import dev.podswitch.dataplane.classify.PolicyEnforcer;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.GatewayResponder;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.forward.Router;
import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;
import dev.podswitch.dataplane.reassembly.Ipv4Reassembly;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DistinctErrorLog;
import dev.podswitch.dataplane.flow.FlowLog;
import dev.podswitch.dataplane.stats.DropReason;
import dev.podswitch.dataplane.stats.PolicyVerdictCounters;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The way of one frame through a node, stage by stage: {@link FrameParser} → {@link AntiSpoofCheck}
 * (or, from the tunnel, the inner source against the sending VTEP) → {@link GatewayResponder} (ARP,
 * ping to the gateway) → {@link PolicyEnforcer} (conntrack, then NetworkPolicy on a connection's
 * first packet) → {@link Router} (the connection's cached decision, else a lookup) → a {@link Port}
 * or the {@link TunnelPort}. Every frame ends in exactly one counter of {@link DatapathCounters}.
 *
 * <p>IPv4 fragments take a detour after the TTL check: {@link Ipv4Reassembly} holds them until
 * their datagram is whole; the datagram is then judged once — policy and route, by the headers of
 * its first fragment — and its fragments are forwarded as they came (each counted), never joined
 * into one packet: the datagram would not fit a pod's MTU, a ring slot or the VXLAN encapsulation
 * buffer, and the sender's own fragments need no refragmenting (OVS's {@code ipf} forwards the
 * originals too; Linux refragments to the sizes that came in).
 *
 * <p>{@link NodeDatapath} owns it and gives it, per batch, the snapshots it read once (tables,
 * ports, mirrors, capture, clock); the pipeline never reads a published reference itself, so a
 * batch never sees half an update. Owner thread only, between {@link #begin} and {@link #end}; no
 * allocation, lock or exception per frame (an unexpected one is counted and logged once).
 *
 * <p>Why this file is over 400 lines: the stages run in order in one method a reader can follow
 * from parse to transmit; each stage's logic is in its own package, what stays here is the order
 * and the drop accounting between them.
 */
final class NodePipeline
{
    /** Conntrack slots examined for expiry per batch: housekeeping spread thin over the loop. */
    private static final int SWEEP_SLOTS_PER_BATCH = 64;

    private final DatapathCounters counters;
    private final DistinctErrorLog errors;
    private final TunnelPort tunnel;
    private final FrameParser parser = new FrameParser();
    private final GatewayResponder gateway = new GatewayResponder();
    private final Router router;
    private final PolicyEnforcer policyEnforcer;
    private final Ipv4Reassembly reassembly;
    /** A fragment being judged or forwarded is copied here: the router writes frames that start at offset 0. */
    private final MemorySegment fragmentScratch;
    /** The headers of the datagram being forwarded, read from its first fragment. */
    private final PacketMeta datagramMeta = new PacketMeta();
    /** What this node decided about new connections and drops, for `podswitch observe` (see {@link FlowLog}). */
    private final FlowLog flows = FlowLog.fromProperties();

    // The batch's snapshots, set by begin.
    private ForwardingTable table;
    private PolicyTable policy;
    private Port[] ports;
    private FrameMirror[] mirrors;
    private FrameMirror capture;
    private long nowNs;

    NodePipeline(final DatapathCounters counters, final DistinctErrorLog errors, final TunnelPort tunnel,
        final int frameCapacity, final ConnectionTracker tracker)
    {
        this.counters = counters;
        this.errors = errors;
        this.tunnel = tunnel;
        this.router = new Router(frameCapacity);
        this.policyEnforcer = new PolicyEnforcer(tracker);
        this.reassembly = new Ipv4Reassembly(counters);
        this.fragmentScratch = Arena.ofAuto().allocate(frameCapacity, 64);
    }

    Ipv4Reassembly reassembly()
    {
        return reassembly;
    }

    Router router()
    {
        return router;
    }

    ConnectionTracker tracker()
    {
        return policyEnforcer.tracker();
    }

    PolicyVerdictCounters policyVerdicts()
    {
        return policyEnforcer.verdicts();
    }

    FlowLog flows()
    {
        return flows;
    }

    /** Starts a batch with what it may use; mirrors and the tunnel learn the batch's clock for their timestamps. */
    void begin(final ForwardingTable table, final PolicyTable policy, final Port[] ports, final FrameMirror[] mirrors,
        final FrameMirror capture, final long nowNs)
    {
        this.table = table;
        this.policy = policy;
        this.ports = ports;
        this.mirrors = mirrors;
        this.capture = capture;
        this.nowNs = nowNs;
        if (mirrors != null)
        {
            for (final Port port : ports)
            {
                if (port instanceof final MirroringPort mirrored)
                {
                    mirrored.now(nowNs);
                }
            }
            if (tunnel != null)
            {
                tunnel.now(nowNs);
            }
        }
    }

    /** Runs one frame through every stage, counting where it ends. */
    void handle(final Frame frame)
    {
        counters.received();
        if (capture != null)
        {
            capture.received(frame.segment(), 0, frame.length(), frame.tunnelSourceIp(), nowNs);
        }
        if (mirrors != null && frame.inPortId() < mirrors.length && mirrors[frame.inPortId()] != null)
        {
            mirrors[frame.inPortId()].received(frame.segment(), 0, frame.length(), frame.tunnelSourceIp(), nowNs);
        }
        try
        {
            final DropReason reason = process(frame);
            if (reason != null)
            {
                counters.dropped(reason);
                flows.dropped(frame.meta(), reason, directionOf(reason, frame), policy.generation(), nowNs);
            }
        }
        catch (final RuntimeException | Error bug)
        {
            // Count it, log it once, keep the pipeline running.
            counters.dropped(DropReason.INTERNAL_ERROR);
            errors.record(bug);
        }
    }

    /** Ends a batch: ports flush what they queued, and conntrack expires a few entries. */
    void end(final int handled)
    {
        try
        {
            if (handled > 0)
            {
                flush();
            }
        }
        finally
        {
            policyEnforcer.tracker().sweep(nowNs, SWEEP_SLOTS_PER_BATCH);
            reassembly.expire(nowNs);
        }
    }

    private void flush()
    {
        for (final Port port : ports)
        {
            if (port != null)
            {
                port.flush();
            }
        }
        if (tunnel != null)
        {
            tunnel.flush();
        }
    }

    /** @return null when the frame was forwarded or answered (and counted), else the drop reason. */
    private DropReason process(final Frame frame)
    {
        final MemorySegment segment = frame.segment();
        final PacketMeta meta = frame.meta();
        final DropReason malformed = parser.parse(segment, 0, frame.length(), meta);
        final boolean fragment = malformed == DropReason.IP_FRAGMENT && reassembly.isEnabled();
        if (malformed != null && !fragment)
        {
            return malformed;
        }
        final int inPortId = frame.inPortId();
        final boolean fromTunnel = inPortId == NodeDatapath.TUNNEL_PORT_ID;
        final LocalEndpoint sender = fromTunnel ? null : table.localByPortId(inPortId);
        if (!fromTunnel)
        {
            if (sender == null)
            {
                return DropReason.PORT_DOWN;
            }
            final DropReason spoofed = AntiSpoofCheck.check(meta, sender);
            if (spoofed != null)
            {
                return spoofed;
            }
        }
        else if (meta.isIpv4() && !isFromItsVtep(meta.ipSource, frame.tunnelSourceIp()))
        {
            // A tunnel frame's inner source must live behind the VTEP that sent it: else anything that
            // can send UDP to 4789 from a peer's address could pose as any pod, even one of ours.
            return DropReason.SPOOFED_SOURCE;
        }
        if (meta.isArp())
        {
            return fromTunnel ? DropReason.NOT_FOR_US : answer(gateway.answerArp(segment, meta, table), frame, inPortId);
        }
        if (meta.ipDestination == table.gatewayIp())
        {
            return fromTunnel ? DropReason.NOT_FOR_US
                : fragment ? DropReason.IP_FRAGMENT
                : answer(gateway.answerPing(segment, meta, table), frame, inPortId);
        }
        if (meta.destinationMac != table.gatewayMac())
        {
            return DropReason.UNKNOWN_MAC;
        }
        if (meta.ipTtl <= 1)
        {
            return DropReason.TTL_EXPIRED;
        }
        final boolean fromLocalPod = sender != null && sender.kind() == LocalEndpoint.Kind.POD;
        if (fragment)
        {
            return reassemble(frame, fromLocalPod, fromTunnel);
        }
        final DropReason denied = policyEnforcer.admit(meta, policy, fromLocalPod, table, nowNs);
        if (denied != null)
        {
            return denied;
        }
        // The fast path: a tracked connection reuses the forwarding decision cached in its entry
        // while the table it was made under is current; its first packet pays for the lookup.
        final ConnectionTracker tracker = policyEnforcer.tracker();
        final long connection = policyEnforcer.lastHandle();
        long action = connection == ConnectionTracker.MISS ? -1 : tracker.cachedForward(connection, table.generation());
        if (action >= 0 && fromTunnel && Router.isRemote(action))
        {
            // Cached for the other way in: a frame from the tunnel never goes back into it.
            action = -1;
        }
        if (action < 0)
        {
            action = Router.resolve(meta.ipDestination, fromTunnel, table);
            if (action == Router.NO_ROUTE)
            {
                return DropReason.NO_ROUTE;
            }
            if (connection != ConnectionTracker.MISS)
            {
                tracker.cacheForward(connection, table.generation(), action);
            }
        }
        final DropReason unrouted = router.apply(action, segment, frame.length(), frame.offload(), meta, table, ports,
            tunnel);
        if (unrouted == null)
        {
            counters.forwarded();
            if (policyEnforcer.judgedNewConnection())
            {
                flows.forwarded(meta, fromTunnel ? FlowLog.DIRECTION_INGRESS : FlowLog.DIRECTION_EGRESS,
                    policy.generation(), nowNs);
            }
        }
        return unrouted;
    }

    /** As this node saw the packet: a policy drop says its direction; else in from the tunnel, out from a port. */
    private static int directionOf(final DropReason reason, final Frame frame)
    {
        return switch (reason)
        {
            case POLICY_DENIED_INGRESS -> FlowLog.DIRECTION_INGRESS;
            case POLICY_DENIED_EGRESS -> FlowLog.DIRECTION_EGRESS;
            default -> frame.inPortId() == NodeDatapath.TUNNEL_PORT_ID ? FlowLog.DIRECTION_INGRESS
                : FlowLog.DIRECTION_EGRESS;
        };
    }

    /**
     * Holds a fragment that passed every per-packet check; when it completes its datagram, judges
     * the datagram and forwards or drops every fragment of it, each counted.
     *
     * @return null when the fragment is held (counted with its datagram later) or counted already.
     */
    private DropReason reassemble(final Frame frame, final boolean fromLocalPod, final boolean fromTunnel)
    {
        if (frame.offload() != Offload.NONE)
        {
            // A kernel finishes checksums and segments before it fragments: a fragment asking for either is bogus.
            return DropReason.FRAGMENT_MALFORMED;
        }
        final PacketMeta meta = frame.meta();
        final int slot = reassembly.offer(frame.segment(), EthernetFlyweight.HEADER_LENGTH + meta.ipTotalLength, meta,
            frame.inPortId(), nowNs);
        if (slot == Ipv4Reassembly.HELD)
        {
            return null;
        }
        if (slot == Ipv4Reassembly.DROPPED)
        {
            return reassembly.dropReason();
        }
        try
        {
            forwardDatagram(slot, fromLocalPod, fromTunnel);
        }
        finally
        {
            reassembly.release(slot);
        }
        return null;
    }

    /**
     * Judges a whole datagram as one packet — its first fragment's headers through policy (a
     * connection tracked by it passes later datagrams of the flow) and the route — then applies the
     * verdict to every fragment, in the order they came.
     */
    private void forwardDatagram(final int slot, final boolean fromLocalPod, final boolean fromTunnel)
    {
        final int first = reassembly.firstFragment(slot);
        final int firstLength = copyFragment(slot, first);
        DropReason verdict = parser.parseFirstFragment(fragmentScratch, 0, firstLength,
            reassembly.datagramPayloadLength(slot), datagramMeta);
        long action = Router.NO_ROUTE;
        if (verdict == null)
        {
            verdict = policyEnforcer.admit(datagramMeta, policy, fromLocalPod, table, nowNs);
        }
        if (verdict == null)
        {
            action = Router.resolve(datagramMeta.ipDestination, fromTunnel, table);
            verdict = action == Router.NO_ROUTE ? DropReason.NO_ROUTE : null;
        }
        final int count = reassembly.fragmentCount(slot);
        // The datagram is one packet to the flow log: one record for it, not one per fragment.
        if (verdict != null)
        {
            flows.dropped(datagramMeta, verdict, fromTunnel || verdict == DropReason.POLICY_DENIED_INGRESS
                ? FlowLog.DIRECTION_INGRESS : FlowLog.DIRECTION_EGRESS, policy.generation(), nowNs);
        }
        else if (policyEnforcer.judgedNewConnection())
        {
            flows.forwarded(datagramMeta, fromTunnel ? FlowLog.DIRECTION_INGRESS : FlowLog.DIRECTION_EGRESS,
                policy.generation(), nowNs);
        }
        for (int i = 0; i < count; i++)
        {
            if (verdict != null)
            {
                counters.dropped(verdict);
                continue;
            }
            // The datagram's meta for every fragment: one flow hash (one outer UDP port) for all, and
            // the same L3 offset, since every copy starts at 0 behind a 14-byte Ethernet header.
            final DropReason unrouted = router.apply(action, fragmentScratch, copyFragment(slot, i), Offload.NONE,
                datagramMeta, table, ports, tunnel);
            if (unrouted == null)
            {
                counters.forwarded();
            }
            else
            {
                counters.dropped(unrouted);
            }
        }
    }

    private int copyFragment(final int slot, final int index)
    {
        final int length = reassembly.frameLength(slot, index);
        MemorySegment.copy(reassembly.storage(), reassembly.frameOffset(slot, index), fragmentScratch, 0, length);
        return length;
    }

    private boolean isFromItsVtep(final int innerSourceIp, final int vtepIp)
    {
        final int sendingNode = table.remoteIndexByVtep(vtepIp);
        return sendingNode >= 0 && table.remoteIndexFor(innerSourceIp) == sendingNode;
    }

    private DropReason answer(final DropReason refused, final Frame frame, final int inPortId)
    {
        if (refused != null)
        {
            return refused;
        }
        final Port port = inPortId < ports.length ? ports[inPortId] : null;
        if (port == null || !port.transmit(frame.segment(), 0, GatewayResponder.arpReplyLength(frame.length())))
        {
            return DropReason.PORT_DOWN;
        }
        counters.answered();
        return null;
    }
}
