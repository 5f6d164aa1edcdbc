package dev.podswitch.bench.offload;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.offload.Offload;
import dev.podswitch.dataplane.offload.SegmentSink;
import dev.podswitch.dataplane.offload.SoftwareOffload;
import dev.podswitch.dataplane.offload.TcpCoalescer;
import dev.podswitch.dataplane.packet.Checksums;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * The software offload work of the tunnel path, per 64 KiB TCP super-frame (45 segments of
 * 1,448 bytes, 65,160 payload bytes): {@code segment} cuts one into MSS-sized segments with both
 * checksums (what leaves into VXLAN), {@code coalesce} merges the 45 segments of a received UDP
 * GRO train back into one super-frame, verifying both checksums of each. An operation is one
 * super-frame, so Gbit/s of payload = ops/s × 65,160 × 8 / 1e9. Both check their output (segment
 * count and bytes; one merged frame of the full length) and must allocate nothing.
 */
@State(Scope.Thread)
public class TcpOffloadBenchmark extends BenchmarkBase
{
    static final int MSS = 1448;
    static final int SEGMENTS = 45;
    static final int PAYLOAD = MSS * SEGMENTS;
    private static final int L3 = EthernetFlyweight.HEADER_LENGTH;
    private static final int L4 = L3 + Ipv4Flyweight.MIN_HEADER_LENGTH;
    private static final int HEADERS = L4 + TcpFlyweight.MIN_HEADER_LENGTH;
    private static final int SOURCE = 0x0AF4_0002;
    private static final int DESTINATION = 0x0AF4_0103;

    private final SoftwareOffload software = new SoftwareOffload(65_600);
    private final TcpCoalescer coalescer = new TcpCoalescer(65_600);
    private final Counting counting = new Counting();
    private final Merged merged = new Merged();
    private MemorySegment superFrame;
    private long request;
    private MemorySegment train;
    private final int[] segmentOffsets = new int[SEGMENTS];
    private final int[] segmentLengths = new int[SEGMENTS];

    /** Counts what segmentation hands on. */
    static final class Counting implements SegmentSink
    {
        int segments;
        long bytes;

        @Override
        public boolean send(final MemorySegment frame, final long offset, final int length)
        {
            segments++;
            bytes += length;
            return true;
        }
    }

    /** Remembers the one frame coalescing should emit. */
    static final class Merged implements TcpCoalescer.Output
    {
        int frames;
        int length;
        long offload;

        @Override
        public void emit(final MemorySegment frame, final long offset, final int frameLength, final long frameOffload)
        {
            frames++;
            length = frameLength;
            offload = frameOffload;
        }
    }

    @Setup(Level.Trial)
    public void build()
    {
        superFrame = Arena.ofAuto().allocate(HEADERS + PAYLOAD, 64);
        new EthernetFlyweight().wrap(superFrame, 0).destinationMac(0x0A58_0AF4_0001L).sourceMac(0x0A58_0AF4_0002L)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(superFrame, L3).init(IpProtocol.TCP.number(), SOURCE, DESTINATION,
            TcpFlyweight.MIN_HEADER_LENGTH + PAYLOAD, 1);
        new TcpFlyweight().wrap(superFrame, L4).init(40_000, 5201, 1, 1, 0x18);
        final byte[] payload = new byte[PAYLOAD];
        new Random(7).nextBytes(payload);
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, superFrame, HEADERS, PAYLOAD);
        PacketBytes.putU16(superFrame, L4 + 16, ~Checksums.fold(Checksums.pseudoHeaderSum(SOURCE, DESTINATION,
            IpProtocol.TCP.number(), TcpFlyweight.MIN_HEADER_LENGTH + PAYLOAD)) & 0xFFFF);
        request = Offload.of(Offload.FLAG_NEEDS_CHECKSUM, Offload.GSO_TCPV4, MSS, L4, 16);
        // The train: the segments back to back, as one UDP GRO receive would hold them.
        train = Arena.ofAuto().allocate((long)SEGMENTS * (HEADERS + MSS), 64);
        final int[] next = {0};
        software.finish(superFrame, 0, HEADERS + PAYLOAD, request, (frame, offset, length) ->
        {
            MemorySegment.copy(frame, offset, train, segmentOffsets[next[0]] = next[0] * (HEADERS + MSS), length);
            segmentLengths[next[0]++] = length;
            return true;
        });
        if (segment() != HEADERS * SEGMENTS + PAYLOAD || coalesce() != HEADERS + PAYLOAD)
        {
            throw new IllegalStateException("segmentation or coalescing produced the wrong frames");
        }
    }

    @Benchmark
    public long segment()
    {
        counting.segments = 0;
        counting.bytes = 0;
        software.finish(superFrame, 0, HEADERS + PAYLOAD, request, counting);
        if (counting.segments != SEGMENTS)
        {
            throw new IllegalStateException(counting.segments + " segments, not " + SEGMENTS);
        }
        return counting.bytes;
    }

    @Benchmark
    public int coalesce()
    {
        merged.frames = 0;
        for (int i = 0; i < SEGMENTS; i++)
        {
            coalescer.accept(train, segmentOffsets[i], segmentLengths[i], merged);
        }
        coalescer.flush(merged);
        if (merged.frames != 1 || Offload.segmentSize(merged.offload) != MSS)
        {
            throw new IllegalStateException(merged.frames + " frames came out, not one super-frame");
        }
        return merged.length;
    }
}
