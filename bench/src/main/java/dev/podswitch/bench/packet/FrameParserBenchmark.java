package dev.podswitch.bench.packet;

import dev.podswitch.bench.BenchmarkBase;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.FrameParser;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.PacketMeta;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Frames parsed per second by {@link FrameParser} (L2–L4 validation into a {@link PacketMeta}),
 * for valid TCP, UDP, ICMP echo and ARP frames, each kind alone and mixed. 1,024 frames with
 * random addresses and ports sit in one native segment, 128 bytes apart, as in ring slots; an
 * invocation parses all of them. It checks that none was dropped and that a fingerprint of the
 * fields parsed equals the one computed from what the frames were written with (not from a parse).
 */
@State(Scope.Thread)
public class FrameParserBenchmark extends BenchmarkBase
{
    static final int FRAMES = 1024;
    private static final int SLOT_LENGTH = 128;
    private static final String[] MIX = {"tcp", "udp", "icmp", "arp"};

    /** Frame kind: one protocol, or "mix" (the four in turn). */
    @Param({"tcp", "udp", "icmp", "arp", "mix"})
    public String kind;

    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();
    private MemorySegment frames;
    private final int[] lengths = new int[FRAMES];
    private long expectedFingerprint;

    @Setup(Level.Trial)
    public void writeFrames()
    {
        frames = Arena.ofAuto().allocate((long)FRAMES * SLOT_LENGTH, 64);
        final FrameWriter writer = new FrameWriter();
        final PacketMeta expected = new PacketMeta();
        final Random random = new Random(42);
        for (int i = 0; i < FRAMES; i++)
        {
            final String frameKind = "mix".equals(kind) ? MIX[i % MIX.length] : kind;
            final long offset = (long)i * SLOT_LENGTH;
            final int length = 64 + random.nextInt(SLOT_LENGTH - 64 + 1);
            final long sourceMac = random.nextLong() & 0x0000_FEFF_FFFF_FFFFL;
            final long destinationMac = random.nextLong() & 0x0000_FEFF_FFFF_FFFFL;
            final int sourceIp = random.nextInt();
            final int destinationIp = random.nextInt();
            final int sourcePort = random.nextInt(65536);
            final int destinationPort = random.nextInt(65536);
            clearExpected(expected);
            expected.etherType = EthernetFlyweight.ETHER_TYPE_IPV4;
            expected.ipSource = sourceIp;
            expected.ipDestination = destinationIp;
            expected.l4Length = length - FrameWriter.L4_OFFSET;
            switch (frameKind)
            {
                case "tcp" ->
                {
                    writer.tcp(frames, offset, length, sourceMac, destinationMac, sourceIp, destinationIp, sourcePort,
                        destinationPort, 0x18);
                    expected.ipProtocol = IpProtocol.TCP.number();
                    expected.sourcePort = sourcePort;
                    expected.destinationPort = destinationPort;
                }
                case "udp" ->
                {
                    writer.udp(frames, offset, length, sourceMac, destinationMac, sourceIp, destinationIp, sourcePort,
                        destinationPort);
                    expected.ipProtocol = IpProtocol.UDP.number();
                    expected.sourcePort = sourcePort;
                    expected.destinationPort = destinationPort;
                }
                case "icmp" ->
                {
                    writer.icmpEcho(frames, offset, length, sourceMac, destinationMac, sourceIp, destinationIp,
                        sourcePort);
                    expected.ipProtocol = IpProtocol.ICMP.number();
                    expected.icmpIdentifier = sourcePort;
                }
                case "arp" ->
                {
                    writer.arpRequest(frames, offset, sourceMac, sourceIp, destinationIp);
                    clearExpected(expected);
                    expected.etherType = EthernetFlyweight.ETHER_TYPE_ARP;
                    expected.arpSenderIp = sourceIp;
                    expected.arpTargetIp = destinationIp;
                }
                default -> throw new IllegalArgumentException("kind=" + kind + " is none of tcp, udp, icmp, arp, mix");
            }
            lengths[i] = "arp".equals(frameKind) ? FrameWriter.ARP_FRAME_LENGTH : length;
            expected.sourceMac = sourceMac;
            expectedFingerprint += fingerprint(expected);
        }
        final long parsed = parseAll();
        if (parsed != expectedFingerprint)
        {
            throw new IllegalStateException("parsed fingerprint " + parsed + " != written " + expectedFingerprint);
        }
    }

    private static void clearExpected(final PacketMeta expected)
    {
        expected.etherType = 0;
        expected.ipSource = 0;
        expected.ipDestination = 0;
        expected.ipProtocol = 0;
        expected.l4Length = 0;
        expected.sourcePort = 0;
        expected.destinationPort = 0;
        expected.icmpIdentifier = 0;
        expected.arpSenderIp = 0;
        expected.arpTargetIp = 0;
    }

    /** The fields later stages read, mixed so that a wrong field changes the sum. */
    private static long fingerprint(final PacketMeta meta)
    {
        long h = meta.etherType;
        h = h * 31 + meta.sourceMac;
        h = h * 31 + meta.ipSource;
        h = h * 31 + meta.ipDestination;
        h = h * 31 + meta.ipProtocol;
        h = h * 31 + meta.l4Length;
        h = h * 31 + meta.sourcePort;
        h = h * 31 + meta.destinationPort;
        h = h * 31 + meta.icmpIdentifier;
        h = h * 31 + meta.arpSenderIp;
        return h * 31 + meta.arpTargetIp;
    }

    /** @return the sum of the fingerprints of every frame parsed; throws if any valid frame was dropped. */
    private long parseAll()
    {
        long sum = 0;
        int dropped = 0;
        for (int i = 0; i < FRAMES; i++)
        {
            if (parser.parse(frames, (long)i * SLOT_LENGTH, lengths[i], meta) != null)
            {
                dropped++;
            }
            sum += fingerprint(meta);
        }
        if (dropped != 0)
        {
            throw new IllegalStateException(dropped + " of " + FRAMES + " valid " + kind + " frames dropped");
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long parse()
    {
        final long sum = parseAll();
        if (sum != expectedFingerprint)
        {
            throw new IllegalStateException("parsed fields changed: " + sum + " != " + expectedFingerprint);
        }
        return sum;
    }
}
