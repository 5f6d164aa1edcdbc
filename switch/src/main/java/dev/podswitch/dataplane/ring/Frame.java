package dev.podswitch.dataplane.ring;

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
    /** Room for a jumbo frame plus VXLAN overhead. */
    public static final int DEFAULT_CAPACITY = 9216 + 64;
    /**
     * Room for a TCP super-frame from a TAP device with TSO: an IPv4 packet of up to 65,535 bytes
     * behind its Ethernet header (what live nodes use, so offloaded frames cross whole).
     */
    public static final int OFFLOAD_CAPACITY = 65_535 + 14 + 64;
    /** A 1,500-byte MTU frame plus VXLAN overhead: what emulated pods send. */
    public static final int EMULATED_CAPACITY = 1600;

    private MemorySegment segment;
    private final PacketMeta meta = new PacketMeta();
    private int length;
    private int inPortId;
    private int tunnelSourceIp;
    private long offload;

    public Frame(final int capacity)
    {
        // ofAuto, not global: a 64 KiB-slot ring of a stopped lab must go back to the OS.
        this.segment = Arena.ofAuto().allocate(capacity, 64);
    }

    public Frame()
    {
        this(DEFAULT_CAPACITY);
    }

    public MemorySegment segment()
    {
        return segment;
    }

    /**
     * Puts {@code filled} (a buffer of exactly this slot's capacity, from an automatic arena) in
     * the slot and returns the buffer it held, for the producer to fill next: a frame read into a
     * port's spare buffer enters the ring without being copied. Producer only, between claim and publish.
     */
    MemorySegment swap(final MemorySegment filled)
    {
        if (filled.byteSize() != segment.byteSize())
        {
            throw new IllegalArgumentException("a " + filled.byteSize() + "-byte buffer cannot replace a "
                + segment.byteSize() + "-byte slot");
        }
        final MemorySegment previous = segment;
        segment = filled;
        return previous;
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

    /** What this frame still asks of the port it leaves by ({@link dev.podswitch.dataplane.offload.Offload}); 0: none. */
    public long offload()
    {
        return offload;
    }

    public void offload(final long offload)
    {
        this.offload = offload;
    }

    public PacketMeta meta()
    {
        return meta;
    }
}
