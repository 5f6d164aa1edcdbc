package dev.podswitch.dataplane.flow;

import dev.podswitch.dataplane.packet.PacketMeta;
import dev.podswitch.dataplane.stats.DropReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flow log's ring: what a reader gets back, what overwriting loses and counts, and that a reader never sees a torn record. */
class FlowLogTest
{
    private static PacketMeta tcp(final int source, final int destination, final int sourcePort, final int port)
    {
        final PacketMeta meta = new PacketMeta();
        meta.ipSource = source;
        meta.ipDestination = destination;
        meta.ipProtocol = 6;
        meta.sourcePort = sourcePort;
        meta.destinationPort = port;
        meta.tcpFlags = 0x02;
        return meta;
    }

    private static List<String> read(final FlowLog log, final long from)
    {
        final List<String> seen = new ArrayList<>();
        log.read(from, Integer.MAX_VALUE, record -> seen.add(record.sequence + ":" + record.sourcePort + ":"
            + (record.dropReason == null ? "FORWARDED" : record.dropReason.name())));
        return seen;
    }

    @Test
    void shouldGiveBackWhatWasRecordedInOrderWithEveryField()
    {
        final FlowLog log = new FlowLog(8, new DropSampler(100));
        log.forwarded(tcp(0x0AF4_0002, 0x0AF4_0103, 40000, 3306), FlowLog.DIRECTION_EGRESS, 7, 1_000);
        log.dropped(tcp(0x0AF4_0004, 0x0AF4_0103, 40001, 3306), DropReason.POLICY_DENIED_INGRESS, FlowLog.DIRECTION_INGRESS,
            7, 2_000);
        final List<FlowRecord> copies = new ArrayList<>();
        final long next = log.read(0, 10, record ->
        {
            final FlowRecord copy = new FlowRecord();
            copy.sequence = record.sequence;
            copy.timeNs = record.timeNs;
            copy.sourceIp = record.sourceIp;
            copy.destinationIp = record.destinationIp;
            copy.sourcePort = record.sourcePort;
            copy.destinationPort = record.destinationPort;
            copy.protocol = record.protocol;
            copy.tcpFlags = record.tcpFlags;
            copy.verdict = record.verdict;
            copy.direction = record.direction;
            copy.dropReason = record.dropReason;
            copy.policyGeneration = record.policyGeneration;
            copy.addressed = record.addressed;
            copies.add(copy);
        });
        assertEquals(2, next);
        assertEquals(2, copies.size());
        final FlowRecord forwarded = copies.get(0);
        assertEquals(0x0AF4_0002, forwarded.sourceIp);
        assertEquals(0x0AF4_0103, forwarded.destinationIp);
        assertEquals(40000, forwarded.sourcePort);
        assertEquals(3306, forwarded.destinationPort);
        assertEquals(6, forwarded.protocol);
        assertEquals(0x02, forwarded.tcpFlags);
        assertEquals(FlowLog.VERDICT_FORWARDED, forwarded.verdict);
        assertEquals(FlowLog.DIRECTION_EGRESS, forwarded.direction);
        assertNull(forwarded.dropReason);
        assertEquals(7, forwarded.policyGeneration);
        assertEquals(1_000, forwarded.timeNs);
        assertTrue(forwarded.addressed);
        assertEquals(DropReason.POLICY_DENIED_INGRESS, copies.get(1).dropReason);
        assertEquals(FlowLog.VERDICT_DROPPED, copies.get(1).verdict);
        assertEquals(List.of(), read(log, next), "nothing new after the cursor");
    }

    @Test
    void shouldOverwriteTheOldestWhenFullAndCountWhatNoReaderCanGetAnyMore()
    {
        final FlowLog log = new FlowLog(4, new DropSampler(100));
        for (int i = 0; i < 10; i++)
        {
            log.forwarded(tcp(1, 2, i, 80), FlowLog.DIRECTION_EGRESS, 1, i);
        }
        assertEquals(4, log.capacity());
        assertEquals(10, log.written());
        assertEquals(6, log.overwritten());
        assertEquals(List.of("6:6:FORWARDED", "7:7:FORWARDED", "8:8:FORWARDED", "9:9:FORWARDED"), read(log, 0),
            "a reader behind the ring starts at the oldest record held");
        assertEquals(List.of("9:9:FORWARDED"), read(log, 9));
    }

    @Test
    void shouldKeepNoAddressesOfAPacketTooMalformedToHaveAny()
    {
        final FlowLog log = new FlowLog(4, new DropSampler(100));
        log.dropped(tcp(1, 2, 3, 4), DropReason.BAD_IP_CHECKSUM, FlowLog.DIRECTION_EGRESS, 1, 0);
        final List<FlowRecord> read = new ArrayList<>();
        log.read(0, 1, record ->
        {
            assertFalse(record.addressed);
            assertEquals(0, record.sourceIp);
            assertEquals(0, record.sourcePort);
            read.add(record);
        });
        assertEquals(1, read.size(), "the drop itself is recorded, without its addresses");
    }

    @Test
    void shouldRecordNothingWhenOff()
    {
        final FlowLog log = new FlowLog(0, new DropSampler(100));
        log.forwarded(tcp(1, 2, 3, 4), FlowLog.DIRECTION_EGRESS, 1, 0);
        assertFalse(log.isEnabled());
        assertEquals(0, log.written());
        assertEquals(List.of(), read(log, 0));
    }

    @Test
    void shouldLimitDropsPerReasonAndSourceAndCountWhatItLeftOut()
    {
        final FlowLog log = new FlowLog(64, new DropSampler(3));
        for (int i = 0; i < 10; i++)
        {
            log.dropped(tcp(1, 2, i, 80), DropReason.POLICY_DENIED_INGRESS, FlowLog.DIRECTION_INGRESS, 1, i);
            log.dropped(tcp(9, 2, i, 80), DropReason.POLICY_DENIED_INGRESS, FlowLog.DIRECTION_INGRESS, 1, i);
        }
        assertEquals(6, log.written(), "three a second for each of the two sources");
        assertEquals(14, log.droppedUnrecorded());
        // A second later the window opens again; the first record says how many were left out before it.
        log.dropped(tcp(1, 2, 99, 80), DropReason.POLICY_DENIED_INGRESS, FlowLog.DIRECTION_INGRESS, 1, 1_000_000_000L);
        final List<Long> leftOut = new ArrayList<>();
        log.read(6, 1, record -> leftOut.add(record.leftOutBefore));
        assertEquals(List.of(7L), leftOut);
    }

    @Test
    void shouldNeverHandAReaderATornRecordWhileTheWriterGoesRound() throws Exception
    {
        final FlowLog log = new FlowLog(8, new DropSampler(100));
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<String> torn = new AtomicReference<>();
        final Thread reader = Thread.ofPlatform().start(() ->
        {
            long from = 0;
            while (!stop.get())
            {
                from = log.read(from, 64, record ->
                {
                    // Every field of record i was written from i: a mix of two records shows.
                    final int i = record.sourcePort;
                    if (record.destinationPort != (i ^ 0xFFFF) || record.timeNs != i || record.sourceIp != i
                        || record.destinationIp != ~i)
                    {
                        torn.compareAndSet(null, "record " + record.sequence + ": port " + i + ", other fields "
                            + record.destinationPort + " " + record.timeNs + " " + record.sourceIp);
                    }
                });
            }
        });
        for (int i = 0; i < 2_000_000; i++)
        {
            final int value = i & 0xFFFF;
            log.forwarded(tcp(value, ~value, value, value ^ 0xFFFF), FlowLog.DIRECTION_EGRESS, 1, value);
        }
        stop.set(true);
        reader.join();
        assertNull(torn.get());
    }
}
