package dev.podswitch.dataplane.flow;

import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A node's flow log: what its pipeline decided about the first packet of every new connection it
 * forwarded, and about every packet it dropped (drops rate-limited per reason and source, see
 * {@link DropSampler}). Records go into a preallocated ring the pipeline thread alone writes —
 * plain stores into a {@code long[]} and one ordered store per record, no allocation, no lock, never
 * waiting for a reader. A full ring overwrites its oldest record; {@link #overwritten()} counts them.
 *
 * <p>Readers on any thread copy records out by sequence number ({@link #read}); each record is
 * guarded by its sequence (a seqlock: written as -1 first, its number last), so a reader never
 * takes a half-written record for a whole one — it skips one the writer was overwriting. Who the
 * addresses are and which policy decided is the reader's business (the control plane's), not the
 * pipeline's: a record holds only numbers.
 */
public final class FlowLog
{
    /** Ring size when {@code switch.flowlog.capacity} is not set; 0 turns the log off. */
    public static final int DEFAULT_CAPACITY = 8192;
    public static final String CAPACITY_PROP_NAME = "switch.flowlog.capacity";

    public static final int VERDICT_FORWARDED = 1;
    public static final int VERDICT_DROPPED = 2;
    public static final int DIRECTION_INGRESS = 1;
    public static final int DIRECTION_EGRESS = 2;

    static final int STRIDE = 6;
    private static final int SEQUENCE = 0;
    private static final int TIME = 1;
    private static final int ADDRESSES = 2;
    private static final int L4 = 3;
    private static final int DECISION = 4;
    private static final int GENERATION = 5;
    private static final long WRITING = -1;

    private static final DropReason[] REASONS = DropReason.values();
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WRITTEN;

    static
    {
        try
        {
            WRITTEN = MethodHandles.lookup().findVarHandle(FlowLog.class, "written", long.class);
        }
        catch (final ReflectiveOperationException impossible)
        {
            throw new ExceptionInInitializerError(impossible);
        }
    }

    private final long[] slots;
    private final int mask;
    private final DropSampler sampler;
    /** Records written so far; the next record's sequence number. Written by the pipeline thread only. */
    @SuppressWarnings("unused")
    private volatile long written;

    /** @param capacity records kept (rounded up to a power of two); 0 makes a log that records nothing. */
    public FlowLog(final int capacity, final DropSampler sampler)
    {
        final int size = capacity <= 0 ? 0 : Integer.highestOneBit(Math.max(2, capacity - 1) << 1);
        this.slots = new long[size * STRIDE];
        this.mask = size - 1;
        this.sampler = sampler;
        for (int i = 0; i < size; i++)
        {
            slots[i * STRIDE + SEQUENCE] = WRITING;
        }
    }

    /** The log every node gets: {@code switch.flowlog.capacity} records (default {@value #DEFAULT_CAPACITY}). */
    public static FlowLog fromProperties()
    {
        return new FlowLog(Integer.getInteger(CAPACITY_PROP_NAME, DEFAULT_CAPACITY), DropSampler.fromProperties());
    }

    public boolean isEnabled()
    {
        return mask >= 0;
    }

    public int capacity()
    {
        return mask + 1;
    }

    /** Records written since the node started (also the sequence number the next one gets). */
    public long written()
    {
        return (long)WRITTEN.getAcquire(this);
    }

    /** Records no reader can get any more: the ring went round over them. */
    public long overwritten()
    {
        return Math.max(0, written() - capacity());
    }

    /** Drops left out by the per-reason, per-source limit. */
    public long droppedUnrecorded()
    {
        return sampler.suppressedTotal();
    }

    /** Pipeline thread only: the first packet of a new connection went out. */
    public void forwarded(final PacketMeta meta, final int direction, final long generation, final long nowNs)
    {
        if (isEnabled())
        {
            write(meta, true, VERDICT_FORWARDED, direction, -1, 0, generation, nowNs);
        }
    }

    /** Pipeline thread only: a packet was dropped; kept unless its reason and source are over their rate. */
    public void dropped(final PacketMeta meta, final DropReason reason, final int direction, final long generation,
        final long nowNs)
    {
        if (!isEnabled())
        {
            return;
        }
        final boolean addressed = FlowFacts.knowsAddresses(reason);
        final long leftOut = sampler.admit(reason, addressed ? meta.ipSource : 0, nowNs);
        if (leftOut >= 0)
        {
            write(meta, addressed, VERDICT_DROPPED, direction, reason.ordinal(), leftOut, generation, nowNs);
        }
    }

    private void write(final PacketMeta meta, final boolean addressed, final int verdict, final int direction,
        final int reason, final long leftOutBefore, final long generation, final long nowNs)
    {
        final long sequence = (long)WRITTEN.get(this);
        final int base = (int)(sequence & mask) * STRIDE;
        SLOTS.setOpaque(slots, base + SEQUENCE, WRITING);
        VarHandle.storeStoreFence();
        final boolean ports = addressed && FlowFacts.knowsPorts(meta);
        slots[base + TIME] = nowNs;
        slots[base + ADDRESSES] = addressed ? ((long)meta.ipSource << 32) | (meta.ipDestination & 0xFFFF_FFFFL) : 0;
        slots[base + L4] = ((long)(ports ? meta.sourcePort : 0) << 48) | ((long)(ports ? meta.destinationPort : 0) << 32)
            | ((long)(addressed ? meta.ipProtocol & 0xFF : 0) << 24) | ((long)(ports ? meta.tcpFlags & 0xFF : 0) << 16)
            | ((long)(addressed && meta.ipProtocol == 1 ? meta.icmpType & 0xFF : 0) << 8) | (addressed ? 1 : 0);
        slots[base + DECISION] = ((long)verdict << 56) | ((long)direction << 48) | ((leftOutBefore & 0xFF_FFFF_FFFFL) << 8)
            | (reason & 0xFF);
        slots[base + GENERATION] = generation;
        SLOTS.setRelease(slots, base + SEQUENCE, sequence);
        WRITTEN.setRelease(this, sequence + 1);
    }

    /**
     * Copies the records from sequence {@code from} on (or from the oldest still held) into
     * {@code sink}, at most {@code limit} of them; returns the sequence to read from next time.
     * Any thread; never blocks the writer.
     */
    public long read(final long from, final int limit, final FlowSink sink)
    {
        final long end = written();
        long sequence = Math.max(from, end - capacity());
        final FlowRecord record = new FlowRecord();
        int delivered = 0;
        while (sequence < end && delivered < limit)
        {
            final int base = (int)(sequence & mask) * STRIDE;
            final long before = (long)SLOTS.getAcquire(slots, base + SEQUENCE);
            record.sequence = sequence;
            record.timeNs = slots[base + TIME];
            final long addresses = slots[base + ADDRESSES];
            final long l4 = slots[base + L4];
            final long decision = slots[base + DECISION];
            record.policyGeneration = slots[base + GENERATION];
            VarHandle.loadLoadFence();
            final long after = (long)SLOTS.getOpaque(slots, base + SEQUENCE);
            if (before == sequence && after == sequence)
            {
                record.sourceIp = (int)(addresses >>> 32);
                record.destinationIp = (int)addresses;
                record.sourcePort = (int)(l4 >>> 48) & 0xFFFF;
                record.destinationPort = (int)(l4 >>> 32) & 0xFFFF;
                record.protocol = (int)(l4 >>> 24) & 0xFF;
                record.tcpFlags = (int)(l4 >>> 16) & 0xFF;
                record.icmpType = (int)(l4 >>> 8) & 0xFF;
                record.addressed = (l4 & 1) != 0;
                record.verdict = (int)(decision >>> 56) & 0xFF;
                record.direction = (int)(decision >>> 48) & 0xFF;
                record.leftOutBefore = (decision >>> 8) & 0xFF_FFFF_FFFFL;
                final int reason = (int)(decision & 0xFF);
                record.dropReason = record.verdict == VERDICT_DROPPED ? REASONS[reason] : null;
                sink.accept(record);
                delivered++;
            }
            // Else the writer went round and is overwriting it: gone, as an overwritten record is.
            sequence++;
        }
        return sequence;
    }
}
