package dev.podswitch.dataplane.conntrack;

import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.PacketMeta;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The no-allocation rule (STYLE §2.1) for lookup, insert, sweep, and parsing ICMP error quotes,
 * checked with the JVM's per-thread allocation counter rather than a benchmark: after warm-up, a
 * million operations covering hits, misses, inserts charged to zones, zones refusing at their
 * limit, evictions, expiry, related errors and sweeping must allocate nothing. Not a timing test.
 */
class ConnectionTrackerAllocationTest
{
    private static final long S = 1_000_000_000L;
    private static final int PACKETS = 4_096;
    /** Slack for the measurement itself; a per-operation allocation would show as megabytes. */
    private static final long TOLERANCE_BYTES = 4_096;

    @Test
    void shouldAllocateNothingWhenTrackingAfterWarmUp()
    {
        final com.sun.management.ThreadMXBean threads = threadBean();
        final ConnectionTracker tracker = new ConnectionTracker(1024, ConntrackTimeouts.DEFAULTS);
        final SplittableRandom random = new SplittableRandom(42);
        final PacketMeta[] packets = packets(random);
        // Four zones of a quarter of the table each: together they fill it, and each meets its limit.
        final int[] zones = new int[PACKETS];
        for (int i = 0; i < PACKETS; i++)
        {
            zones[i] = Packets.ip(10, 2, 0, 1 + random.nextInt(4));
        }
        final long[] nowNs = {1_000 * S};

        for (int round = 0; round < 30; round++)
        {
            run(tracker, packets, zones, nowNs);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        long work = 0;
        for (int round = 0; round < 100; round++)
        {
            work += run(tracker, packets, zones, nowNs);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(work > 100_000, "the loop did real work: " + work);
        final ConntrackCounters c = tracker.counters();
        assertTrue(c.evictions() > 0 && c.expirations() > 0 && c.related() > 0 && c.hits() > 0 && c.zoneFull() > 0,
            c.toString());
        assertTrue(allocated < TOLERANCE_BYTES, "allocated " + allocated + " bytes over " + 100 * PACKETS
            + " packets");
    }

    @Test
    void shouldAllocateNothingWhenParsingIcmpErrorQuotesAfterWarmUp()
    {
        final com.sun.management.ThreadMXBean threads = threadBean();
        final FrameParser parser = new FrameParser();
        final PacketMeta meta = new PacketMeta();
        final MemorySegment frame = icmpErrorFrame();
        final int length = (int)frame.byteSize();
        for (int i = 0; i < 50_000; i++)
        {
            assertNull(parser.parse(frame, 0, length, meta));
        }
        assertTrue(meta.icmpErrorHasQuote);
        final long before = threads.getCurrentThreadAllocatedBytes();
        int quoted = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            parser.parse(frame, 0, length, meta);
            quoted += meta.icmpErrorHasQuote ? 1 : 0;
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(1_000_000, quoted);
        assertTrue(allocated < TOLERANCE_BYTES, "allocated " + allocated + " bytes over a million parses");
    }

    private static com.sun.management.ThreadMXBean threadBean()
    {
        final boolean supported = ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
            && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled();
        assumeTrue(supported, "this JVM does not count allocated bytes per thread");
        return (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    }

    /** One pass over the packets as a pipeline would run them: lookup, insert on miss, sweep per burst. */
    private static long run(final ConnectionTracker tracker, final PacketMeta[] packets, final int[] zones,
        final long[] nowNs)
    {
        long work = 0;
        for (int i = 0; i < packets.length; i++)
        {
            final PacketMeta meta = packets[i];
            if (tracker.lookup(meta, nowNs[0]) == ConnectionTracker.MISS)
            {
                work += tracker.insert(meta, nowNs[0], 1, zones[i]) < 0 ? 0 : 1;
            }
            else
            {
                work++;
            }
            if ((i & 31) == 31)
            {
                nowNs[0] += S / 10;
                work += tracker.sweep(nowNs[0], 64);
            }
        }
        return work;
    }

    /** Flows in both directions, more of them than the table holds, and errors quoting them. */
    private static PacketMeta[] packets(final SplittableRandom random)
    {
        final PacketMeta[] packets = new PacketMeta[PACKETS];
        for (int i = 0; i < PACKETS; i++)
        {
            final int client = Packets.ip(10, 1, random.nextInt(16), random.nextInt(256));
            final int port = 1024 + random.nextInt(4);
            final boolean reply = random.nextBoolean();
            final PacketMeta meta = new PacketMeta();
            switch (random.nextInt(5))
            {
                case 0 -> Packets.tcp(meta, reply ? Packets.POD_B : client, reply ? client : Packets.POD_B,
                    reply ? 80 : port, reply ? port : 80, reply ? Packets.SYN | Packets.ACK : Packets.SYN);
                case 1 -> Packets.udp(meta, reply ? Packets.POD_B : client, reply ? client : Packets.POD_B,
                    reply ? 53 : port, reply ? port : 53);
                case 2 -> Packets.echo(meta, reply ? Packets.ECHO_REPLY : Packets.ECHO_REQUEST,
                    reply ? Packets.POD_B : client, reply ? client : Packets.POD_B, port);
                case 3 -> Packets.icmpError(meta, Packets.UNREACHABLE, Packets.POD_B, client, Packets.UDP, client,
                    Packets.POD_B, port, 53, 0);
                default -> Packets.sctp(meta, client, Packets.POD_B, port, 9, Packets.CHUNK_INIT);
            }
            packets[i] = meta;
        }
        return packets;
    }

    private static MemorySegment icmpErrorFrame()
    {
        final ByteBuffer frame = ByteBuffer.allocate(14 + 20 + 8 + 20 + 8);
        frame.putShort((short)0x0A58).putInt(0x0AF4_0002).putShort((short)0x0A58).putInt(0x0AF4_0001)
            .putShort((short)0x0800);
        putIpv4(frame, 1, 8 + 28, Packets.ROUTER, Packets.POD_A);
        frame.put((byte)3).put((byte)3).putShort((short)0).putInt(0);
        putIpv4(frame, 17, 8 + 12, Packets.POD_A, Packets.POD_B);
        frame.putShort((short)5353).putShort((short)53).putShort((short)20).putShort((short)0);
        final MemorySegment segment = Arena.ofAuto().allocate(frame.capacity());
        MemorySegment.copy(MemorySegment.ofArray(frame.array()), 0, segment, 0, frame.capacity());
        return segment;
    }

    /** A 20-byte IPv4 header with a correct checksum. */
    private static void putIpv4(final ByteBuffer frame, final int protocol, final int payloadLength, final int source,
        final int destination)
    {
        final int start = frame.position();
        frame.put((byte)0x45).put((byte)0).putShort((short)(20 + payloadLength)).putShort((short)1)
            .putShort((short)0x4000).put((byte)64).put((byte)protocol).putShort((short)0).putInt(source)
            .putInt(destination);
        long sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += frame.getShort(start + i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        frame.putShort(start + 10, (short)~sum);
    }
}
