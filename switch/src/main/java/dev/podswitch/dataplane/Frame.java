package dev.podswitch.dataplane;

import dev.podswitch.dataplane.packet.PacketMeta;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One preallocated frame slot of a node's ring: native memory a port reads a frame straight into,
 * its length, the port it came in on, and what the parser learned of it. A slot has one owner at
 * a time — the producer between claim and publish, then the pipeline until the batch moves on —
 * and is reused forever; nothing may keep a reference to its memory past that.
 */
public final class Frame
{
    /** Room for a jumbo frame plus VXLAN overhead; TSO-sized slots come with TAP ports. */
    public static final int DEFAULT_CAPACITY = 9216 + 64;
    /** A 1,500-byte MTU frame plus VXLAN overhead: what emulated pods send. */
    public static final int EMULATED_CAPACITY = 1600;

    private final MemorySegment segment;
    private final PacketMeta meta = new PacketMeta();
    private int length;
    private int inPortId;
    private int tunnelSourceIp;

    public Frame(final int capacity)
    {
        this.segment = Arena.global().allocate(capacity, 64);
    }

    public Frame()
    {
        this(DEFAULT_CAPACITY);
    }

    public MemorySegment segment()
    {
        return segment;
    }

    public int capacity()
    {
        return (int)segment.byteSize();
    }

    public int length()
    {
        return length;
    }

    public void length(final int length)
    {
        this.length = length;
    }

    public int inPortId()
    {
        return inPortId;
    }

    public void inPortId(final int inPortId)
    {
        this.inPortId = inPortId;
    }

    /** For frames from the tunnel: the VTEP that sent it (the outer source IP); else 0. */
    public int tunnelSourceIp()
    {
        return tunnelSourceIp;
    }

    public void tunnelSourceIp(final int tunnelSourceIp)
    {
        this.tunnelSourceIp = tunnelSourceIp;
    }

    public PacketMeta meta()
    {
        return meta;
    }
}
