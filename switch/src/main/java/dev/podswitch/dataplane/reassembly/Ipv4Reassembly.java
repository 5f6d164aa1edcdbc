package dev.podswitch.dataplane.reassembly;

import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A node's IPv4 fragment reassembly, in bounded memory: the fragments of up to
 * {@link #DATAGRAMS} datagrams at a time are held (copied whole, Ethernet header included) until
 * every byte of their datagram has arrived; the pipeline then judges the datagram once, by the
 * headers of its first fragment, and forwards the fragments it holds, as they came (see
 * {@code NodePipeline}). As Linux's conntrack defragmentation and OVS's {@code ipf} do, so that
 * NetworkPolicy can see the ports of a datagram larger than the MTU (DNS over UDP, say) instead of
 * having to drop every fragment or let the later ones, which carry no ports, pass unjudged.
 *
 * <p>Rules, after Linux's {@code ip_fragment.c}: fragments are keyed by source, destination,
 * protocol and identification (RFC 791) and by the port they came in on. A fragment other than the
 * last must carry a non-empty multiple of 8 bytes, and no datagram may end beyond 65,535 bytes
 * ({@link DropReason#FRAGMENT_MALFORMED}: that fragment only). An exact copy of a held fragment is
 * dropped ({@link DropReason#FRAGMENT_DUPLICATE}); a fragment that overlaps a held one, or disagrees
 * about where the datagram ends, drops the whole datagram ({@link DropReason#FRAGMENT_OVERLAP}: as
 * Linux since 4.19 and RFC 5722 for IPv6, since overlaps serve only to hide headers from a
 * firewall). A datagram may hold at most {@link #MAX_FRAGMENTS} fragments
 * ({@link DropReason#FRAGMENTS_TOO_MANY}: the whole datagram). When every slot is taken, the new
 * datagram's fragment is dropped ({@link DropReason#FRAGMENT_TABLE_FULL}) and those in progress are
 * kept, as Linux does above {@code ipfrag_high_thresh}: evicting them would let a stream of new
 * datagrams keep any from completing. A datagram not whole within the timeout (Linux's
 * {@code ipfrag_time}, 30 s) is dropped ({@link DropReason#FRAGMENT_TIMEOUT}); like Linux for
 * datagrams it reassembles only to forward, no ICMP time-exceeded is sent.
 *
 * <p>Counting: a held fragment is in no counter until its datagram completes (then the pipeline
 * counts each fragment forwarded or dropped) or is dropped (this class counts each held fragment
 * under the reason), so {@code received = forwarded + answered + Σ drops + }{@link #heldFragments()}.
 *
 * <p>Memory, fixed when the first fragment arrives (a node that never sees one pays nothing) and
 * never grown: {@link #DATAGRAMS} slots of {@link #SLOT_BYTES} each, room for the largest datagram
 * cut into {@link #MAX_FRAGMENTS} fragments with their headers, fragments appended in arrival order:
 * <pre>
 *  slot 0                                   slot 1
 * +---------+---------+-----+--------------+---------+----
 * | frame 0 | frame 1 | ... |   (unused)   | frame 0 | ...
 * +---------+---------+-----+--------------+---------+----
 * </pre>
 * Owned by the node's pipeline thread (no lock, no allocation per fragment); lives as long as its node.
 */
public final class Ipv4Reassembly
{
    public static final String DATAGRAMS_PROP_NAME = "switch.reassembly.datagrams";
    public static final int DATAGRAMS_DEFAULT = 16;
    /** Datagrams in progress per node; 0 turns reassembly off (fragments are then dropped as IP_FRAGMENT). */
    public static final int DATAGRAMS = Integer.getInteger(DATAGRAMS_PROP_NAME, DATAGRAMS_DEFAULT);
    public static final String TIMEOUT_MS_PROP_NAME = "switch.reassembly.timeoutMs";
    public static final long TIMEOUT_MS_DEFAULT = 30_000;
    public static final long TIMEOUT_MS = Long.getLong(TIMEOUT_MS_PROP_NAME, TIMEOUT_MS_DEFAULT);
    /** 45 fragments carry the largest datagram over a 1,500-byte MTU; 64 leaves room for smaller MTUs. */
    public static final int MAX_FRAGMENTS = 64;
    /** The largest IPv4 datagram, header included. */
    public static final int MAX_DATAGRAM_LENGTH = 65_535;
    /** Ethernet and the longest IPv4 header, which every held fragment brings along. */
    private static final int MAX_HEADERS_LENGTH = EthernetFlyweight.HEADER_LENGTH + 60;
    public static final int SLOT_BYTES = (MAX_DATAGRAM_LENGTH + MAX_FRAGMENTS * MAX_HEADERS_LENGTH + 63) & ~63;

    /** {@link #offer}: the fragment is held; its datagram is not whole yet. */
    public static final int HELD = -1;
    /** {@link #offer}: the fragment was dropped, for {@link #dropReason()}; the caller counts it. */
    public static final int DROPPED = -2;

    private final int datagrams;
    private final long timeoutNs;
    private final DatapathCounters counters;
    private MemorySegment storage;

    // Per slot: the key, the deadline, and what has arrived.
    private final boolean[] inUse;
    private final int[] sourceIp;
    private final int[] destinationIp;
    private final int[] protocolAndId;
    private final int[] inPortId;
    private final long[] deadlineNs;
    private final int[] fragmentCount;
    private final int[] bytesUsed;
    private final int[] payloadReceived;
    /** The datagram's payload length once its last fragment came, else -1. */
    private final int[] payloadTotal;
    private final int[] payloadMaxEnd;
    // Per fragment, at slot * MAX_FRAGMENTS + index: where its frame is kept and which payload bytes it holds.
    private final int[] frameOffset;
    private final int[] frameLength;
    private final int[] payloadStart;
    private final int[] payloadEnd;
    private int slotsInUse;
    private int held;
    private DropReason dropReason;

    public Ipv4Reassembly(final DatapathCounters counters)
    {
        this(DATAGRAMS, TIMEOUT_MS * 1_000_000L, counters);
    }

    public Ipv4Reassembly(final int datagrams, final long timeoutNs, final DatapathCounters counters)
    {
        if (datagrams < 0)
        {
            throw new IllegalArgumentException(DATAGRAMS_PROP_NAME + "=" + datagrams + " must be 0 (off) or more");
        }
        this.datagrams = datagrams;
        this.timeoutNs = timeoutNs;
        this.counters = counters;
        this.inUse = new boolean[datagrams];
        this.sourceIp = new int[datagrams];
        this.destinationIp = new int[datagrams];
        this.protocolAndId = new int[datagrams];
        this.inPortId = new int[datagrams];
        this.deadlineNs = new long[datagrams];
        this.fragmentCount = new int[datagrams];
        this.bytesUsed = new int[datagrams];
        this.payloadReceived = new int[datagrams];
        this.payloadTotal = new int[datagrams];
        this.payloadMaxEnd = new int[datagrams];
        this.frameOffset = new int[datagrams * MAX_FRAGMENTS];
        this.frameLength = new int[datagrams * MAX_FRAGMENTS];
        this.payloadStart = new int[datagrams * MAX_FRAGMENTS];
        this.payloadEnd = new int[datagrams * MAX_FRAGMENTS];
    }

    public boolean isEnabled()
    {
        return datagrams > 0;
    }

    /**
     * Holds one fragment the parser read ({@code meta}: L3 and the fragment fields), copying its
     * {@code frameLength} bytes (Ethernet header and IP packet, no padding).
     *
     * @return the slot of the datagram it completed (≥ 0: read it with the accessors, then
     *         {@link #release} it), {@link #HELD}, or {@link #DROPPED}.
     */
    public int offer(final MemorySegment frame, final int frameLength, final PacketMeta meta, final int portId,
        final long nowNs)
    {
        final int start = meta.fragmentOffset;
        final int end = start + meta.l4Length;
        final int headerLength = (int)(meta.l4Offset - meta.l3Offset);
        if (meta.moreFragments && (meta.l4Length == 0 || (meta.l4Length & 7) != 0)
            || headerLength + end > MAX_DATAGRAM_LENGTH)
        {
            return drop(DropReason.FRAGMENT_MALFORMED);
        }
        int slot = find(meta, portId);
        if (slot < 0)
        {
            slot = claim(meta, portId, nowNs);
            if (slot < 0)
            {
                return drop(DropReason.FRAGMENT_TABLE_FULL);
            }
        }
        final DropReason refused = check(slot, start, end, meta.moreFragments, frameLength);
        if (refused != null)
        {
            if (refused != DropReason.FRAGMENT_DUPLICATE)
            {
                discard(slot, refused);
            }
            return drop(refused);
        }
        final int index = slot * MAX_FRAGMENTS + fragmentCount[slot];
        final int at = slot * SLOT_BYTES + bytesUsed[slot];
        MemorySegment.copy(frame, 0, storage, at, frameLength);
        this.frameOffset[index] = at;
        this.frameLength[index] = frameLength;
        payloadStart[index] = start;
        payloadEnd[index] = end;
        fragmentCount[slot]++;
        held++;
        bytesUsed[slot] += frameLength;
        payloadReceived[slot] += end - start;
        payloadMaxEnd[slot] = Math.max(payloadMaxEnd[slot], end);
        if (!meta.moreFragments)
        {
            payloadTotal[slot] = end;
        }
        // Held fragments never overlap, so their bytes add up to the total only when they cover it all.
        return payloadReceived[slot] == payloadTotal[slot] ? slot : HELD;
    }

    /** Why a fragment may not join its datagram, or null. */
    private DropReason check(final int slot, final int start, final int end, final boolean more,
        final int frameLength)
    {
        final int total = payloadTotal[slot];
        if (more ? total >= 0 && end > total : total >= 0 && end != total || end < payloadMaxEnd[slot])
        {
            return DropReason.FRAGMENT_OVERLAP;
        }
        final int first = slot * MAX_FRAGMENTS;
        for (int i = first; i < first + fragmentCount[slot]; i++)
        {
            if (start == payloadStart[i] && end == payloadEnd[i])
            {
                return DropReason.FRAGMENT_DUPLICATE;
            }
            if (start < payloadEnd[i] && payloadStart[i] < end)
            {
                return DropReason.FRAGMENT_OVERLAP;
            }
        }
        // A slot holds any datagram in MAX_FRAGMENTS fragments; the byte check keeps it so, whatever the caller passes.
        if (fragmentCount[slot] == MAX_FRAGMENTS || bytesUsed[slot] + frameLength > SLOT_BYTES)
        {
            return DropReason.FRAGMENTS_TOO_MANY;
        }
        return null;
    }

    private int find(final PacketMeta meta, final int portId)
    {
        if (slotsInUse == 0)
        {
            return -1;
        }
        final int key = protocolAndId(meta);
        for (int slot = 0; slot < datagrams; slot++)
        {
            if (inUse[slot] && sourceIp[slot] == meta.ipSource && destinationIp[slot] == meta.ipDestination
                && protocolAndId[slot] == key && inPortId[slot] == portId)
            {
                return slot;
            }
        }
        return -1;
    }

    private int claim(final PacketMeta meta, final int portId, final long nowNs)
    {
        if (slotsInUse == datagrams)
        {
            return -1;
        }
        if (storage == null)
        {
            // Once per node, on its first fragment; ofAuto: it goes back to the OS with the node.
            storage = Arena.ofAuto().allocate((long)datagrams * SLOT_BYTES, 64);
        }
        for (int slot = 0; slot < datagrams; slot++)
        {
            if (!inUse[slot])
            {
                inUse[slot] = true;
                slotsInUse++;
                sourceIp[slot] = meta.ipSource;
                destinationIp[slot] = meta.ipDestination;
                protocolAndId[slot] = protocolAndId(meta);
                inPortId[slot] = portId;
                deadlineNs[slot] = nowNs + timeoutNs;
                fragmentCount[slot] = 0;
                bytesUsed[slot] = 0;
                payloadReceived[slot] = 0;
                payloadTotal[slot] = -1;
                payloadMaxEnd[slot] = 0;
                return slot;
            }
        }
        return -1;
    }

    private static int protocolAndId(final PacketMeta meta)
    {
        return meta.ipProtocol << 16 | meta.ipIdentification;
    }

    private int drop(final DropReason reason)
    {
        dropReason = reason;
        return DROPPED;
    }

    /** Drops every fragment the slot holds, counted under {@code reason}, and frees it. */
    private void discard(final int slot, final DropReason reason)
    {
        for (int i = 0; i < fragmentCount[slot]; i++)
        {
            counters.dropped(reason);
        }
        release(slot);
    }

    /** Why the last {@link #offer} returned {@link #DROPPED}. */
    public DropReason dropReason()
    {
        return dropReason;
    }

    /** Frees a slot whose fragments the caller has forwarded or counted. */
    public void release(final int slot)
    {
        if (inUse[slot])
        {
            inUse[slot] = false;
            slotsInUse--;
            held -= fragmentCount[slot];
            fragmentCount[slot] = 0;
        }
    }

    /**
     * Drops the datagrams whose time is up, each held fragment counted as
     * {@link DropReason#FRAGMENT_TIMEOUT}; a few array reads when nothing is held. Once per batch.
     *
     * @return the fragments dropped.
     */
    public int expire(final long nowNs)
    {
        if (slotsInUse == 0)
        {
            return 0;
        }
        int dropped = 0;
        for (int slot = 0; slot < datagrams; slot++)
        {
            if (inUse[slot] && nowNs - deadlineNs[slot] >= 0)
            {
                dropped += fragmentCount[slot];
                discard(slot, DropReason.FRAGMENT_TIMEOUT);
            }
        }
        return dropped;
    }

    /** Where every held fragment is kept (null until the first fragment). */
    public MemorySegment storage()
    {
        return storage;
    }

    public int fragmentCount(final int slot)
    {
        return fragmentCount[slot];
    }

    /** Where fragment {@code index} (arrival order) of the slot's datagram starts in {@link #storage()}. */
    public long frameOffset(final int slot, final int index)
    {
        return frameOffset[slot * MAX_FRAGMENTS + index];
    }

    public int frameLength(final int slot, final int index)
    {
        return frameLength[slot * MAX_FRAGMENTS + index];
    }

    /** The index of the fragment that starts the datagram (the one with its L4 header); a whole datagram has one. */
    public int firstFragment(final int slot)
    {
        final int first = slot * MAX_FRAGMENTS;
        for (int i = 0; i < fragmentCount[slot]; i++)
        {
            if (payloadStart[first + i] == 0)
            {
                return i;
            }
        }
        return -1;
    }

    /** The payload length of the slot's whole datagram (every fragment's payload). */
    public int datagramPayloadLength(final int slot)
    {
        return payloadTotal[slot];
    }

    /** Fragments held for datagrams not yet whole: received, and in no other counter yet. */
    public int heldFragments()
    {
        return held;
    }

    public int datagramsInProgress()
    {
        return slotsInUse;
    }

    /** The memory fragments may take: fixed, whatever arrives. */
    public long storageBytes()
    {
        return (long)datagrams * SLOT_BYTES;
    }
}
