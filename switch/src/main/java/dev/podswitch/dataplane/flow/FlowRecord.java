package dev.podswitch.dataplane.flow;

import dev.podswitch.dataplane.stats.DropReason;

/**
 * One flow log record as a reader copied it out: numbers only (addresses, ports, verdict, reason);
 * the control plane names them. Mutable and reused by {@link FlowLog#read}.
 */
public final class FlowRecord
{
    public long sequence;
    /** The pipeline's clock (monotonic nanoseconds) when the packet was judged. */
    public long timeNs;
    /** False when the packet was too malformed to have addresses (its addresses and ports are 0). */
    public boolean addressed;
    public int sourceIp;
    public int destinationIp;
    public int protocol;
    public int sourcePort;
    public int destinationPort;
    public int tcpFlags;
    public int icmpType;
    /** {@link FlowLog#VERDICT_FORWARDED} or {@link FlowLog#VERDICT_DROPPED}. */
    public int verdict;
    /** {@link FlowLog#DIRECTION_INGRESS} or {@link FlowLog#DIRECTION_EGRESS}, as this node saw it. */
    public int direction;
    /** The drop's reason, or null for a forwarded record. */
    public DropReason dropReason;
    /** Drops of the same reason and source the rate limit left out just before this one. */
    public long leftOutBefore;
    /** The generation of the compiled policy that judged it. */
    public long policyGeneration;
}
