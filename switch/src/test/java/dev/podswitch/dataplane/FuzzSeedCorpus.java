package dev.podswitch.dataplane;

import dev.podswitch.dataplane.NodeDatapathFuzzTest.Source;
import dev.podswitch.dataplane.packet.MalformedFrames;
import dev.podswitch.dataplane.packet.TestFrames;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.podswitch.dataplane.StageFixture.GATEWAY_IP;
import static dev.podswitch.dataplane.StageFixture.GATEWAY_MAC;
import static dev.podswitch.dataplane.StageFixture.HOST;
import static dev.podswitch.dataplane.StageFixture.NODE_2;
import static dev.podswitch.dataplane.StageFixture.POD_A;
import static dev.podswitch.dataplane.StageFixture.POD_B;
import static dev.podswitch.dataplane.StageFixture.REMOTE_POD;
import static dev.podswitch.dataplane.StageFixture.VNI;

/**
 * Writes the seed corpora of the switch's fuzz tests into {@code src/test/resources} (Jazzer's
 * layout: {@code <package>/<Class>Inputs/<method>/<seed>}): a valid frame of each kind for the
 * parser, a valid exchange through each receive side for the node, flows for the coalescer. The
 * files are committed; run this again (from the module directory, with the test classpath) after
 * changing an input format:
 * {@code java -cp target/test-classes:target/classes:<deps> dev.podswitch.dataplane.FuzzSeedCorpus}.
 */
public final class FuzzSeedCorpus
{
    private static final Path RESOURCES = Path.of("src/test/resources/dev/podswitch/dataplane");

    private FuzzSeedCorpus()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        write("packet/FrameParserCoverageFuzzTestInputs/shouldAgreeWithTheOracleWhenParsingAnyBytes",
            parserSeeds());
        write("NodeDatapathFuzzTestInputs/shouldAccountForEveryFrameWhenTapsPortsAndTheTunnelDeliverAnything",
            nodeSeeds());
        write("offload/TcpCoalescerFuzzTestInputs/shouldGiveBackExactlyTheFramesItWasGivenWhenItsOutputIsCutAgain",
            coalescerSeeds());
    }

    private static void write(final String directory, final Map<String, byte[]> seeds) throws IOException
    {
        final Path target = RESOURCES.resolve(directory);
        Files.createDirectories(target);
        for (final Map.Entry<String, byte[]> seed : seeds.entrySet())
        {
            Files.write(target.resolve(seed.getKey()), seed.getValue());
        }
    }

    private static Map<String, byte[]> parserSeeds()
    {
        final Map<String, byte[]> seeds = new LinkedHashMap<>();
        for (final MalformedFrames.Case valid : MalformedFrames.validFrames(MalformedFrames.DEFAULT))
        {
            seeds.put(valid.name(), valid.frame());
        }
        return seeds;
    }

    private static Map<String, byte[]> nodeSeeds()
    {
        final Map<String, byte[]> seeds = new LinkedHashMap<>();
        final byte[] udpAtoB = StageFixture.udp(POD_A, POD_B.ip(), 40000, 53);
        seeds.put("tap-a-udp-to-b-and-back", records(
            NodeDatapathFuzzTest.record(Source.TAP_A, virtio(0, 0, 0, 0, 0, udpAtoB)),
            NodeDatapathFuzzTest.record(Source.TAP_B, virtio(0, 0, 0, 0, 0, StageFixture.udp(POD_B, POD_A.ip(), 53, 40000)))));
        seeds.put("tap-b-arp-and-ping-the-gateway", records(
            NodeDatapathFuzzTest.record(Source.TAP_B, virtio(0, 0, 0, 0, 0,
                StageFixture.arp(1, POD_B.mac(), POD_B.ip(), GATEWAY_IP))),
            NodeDatapathFuzzTest.record(Source.TAP_B, virtio(0, 0, 0, 0, 0,
                StageFixture.echoRequest(POD_B.mac(), POD_B.ip(), GATEWAY_IP, 7, 1, new byte[16])))));
        // A TCP super-frame with a partial checksum (TSO from pod A's kernel) to a pod on node-2:
        // cut in software and sent as one UDP GSO train; then the same to pod B's TAP without offloads.
        seeds.put("tap-a-tso-super-frame-to-remote-and-to-b", records(
            NodeDatapathFuzzTest.record(Source.TAP_A, virtio(1, 1, 100, 34, 16, superFrame(POD_A.mac(), POD_A.ip(),
                REMOTE_POD, 350))),
            NodeDatapathFuzzTest.record(Source.TAP_A, virtio(1, 1, 100, 34, 16, superFrame(POD_A.mac(), POD_A.ip(),
                POD_B.ip(), 250)))));
        seeds.put("host-udp-to-a", NodeDatapathFuzzTest.record(Source.HOST, StageFixture.udp(HOST, POD_A.ip(), 5000, 53)));
        seeds.put("unbound-port-udp", NodeDatapathFuzzTest.record(Source.UNBOUND,
            StageFixture.udp(POD_A, POD_B.ip(), 40000, 53)));
        seeds.put("tunnel-node-2-udp-to-a", NodeDatapathFuzzTest.record(Source.TUNNEL_NODE_2,
            vxlan(StageFixture.udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53))));
        seeds.put("tunnel-stranger-udp-to-a", NodeDatapathFuzzTest.record(Source.TUNNEL_STRANGER,
            vxlan(StageFixture.udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53))));
        seeds.put("train-node-2-tcp-segments-to-a", NodeDatapathFuzzTest.record(Source.TRAIN_NODE_2,
            train(tcpSegment(1000), tcpSegment(1100), tcpSegment(1200), tcpSegment(1300))));
        seeds.put("policy-and-table-changes", records(
            NodeDatapathFuzzTest.record(Source.PUBLISH_POLICY, new byte[] {1}),
            NodeDatapathFuzzTest.record(Source.TAP_B, virtio(0, 0, 0, 0, 0,
                StageFixture.tcp(POD_B.mac(), POD_B.ip(), POD_A.ip(), 41000, 80, 0x02))),
            NodeDatapathFuzzTest.record(Source.TAP_B, virtio(0, 0, 0, 0, 0, StageFixture.udp(POD_B, POD_A.ip(), 41000, 53))),
            NodeDatapathFuzzTest.record(Source.PUBLISH_TABLE, new byte[] {2}),
            NodeDatapathFuzzTest.record(Source.TAP_A, virtio(0, 0, 0, 0, 0, udpAtoB)),
            NodeDatapathFuzzTest.record(Source.PUBLISH_POLICY, new byte[] {2}),
            NodeDatapathFuzzTest.record(Source.TUNNEL_NODE_2,
                vxlan(StageFixture.udp(NODE_2.gatewayMac(), REMOTE_POD, POD_A.ip(), 40000, 53)))));
        return seeds;
    }

    private static byte[] records(final byte[]... records)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] record : records)
        {
            out.writeBytes(record);
        }
        return out.toByteArray();
    }

    /** A virtio-net header (little-endian, 12 bytes with num_buffers) in front of {@code frame}. */
    private static byte[] virtio(final int flags, final int gsoType, final int gsoSize, final int checksumStart,
        final int checksumOffset, final byte[] frame)
    {
        return ByteBuffer.allocate(12 + frame.length).order(ByteOrder.LITTLE_ENDIAN).put((byte)flags).put((byte)gsoType)
            .putShort((short)0).putShort((short)gsoSize).putShort((short)checksumStart).putShort((short)checksumOffset)
            .putShort((short)0).put(frame).array();
    }

    /** VXLAN header (I flag, the cluster's VNI) in front of an inner frame: one UDP payload. */
    private static byte[] vxlan(final byte[] inner)
    {
        return ByteBuffer.allocate(8 + inner.length).putInt(0x0800_0000).putInt(VNI << 8).put(inner).array();
    }

    /** A GRO train: segment size (u16), then VXLAN payloads of that size back to back (the last may be shorter). */
    private static byte[] train(final byte[]... inners)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int segmentSize = 8 + inners[0].length;
        out.write(segmentSize >>> 8);
        out.write(segmentSize);
        for (final byte[] inner : inners)
        {
            out.writeBytes(vxlan(inner));
        }
        return out.toByteArray();
    }

    /** A TCP segment (ACK, 100 bytes) of one flow from node-2's pod to pod A, as node-2's VTEP sends it. */
    private static byte[] tcpSegment(final int sequence)
    {
        final byte[] payload = new byte[100];
        final byte[] l4 = TestFrames.tcp(REMOTE_POD, POD_A.ip(), 43000, 80, 0x10, payload);
        ByteBuffer.wrap(l4).putInt(4, sequence).putShort(16, (short)0);
        TestFrames.putU16(l4, 16,
            ~TestFrames.naiveSum(l4, 0, l4.length, TestFrames.naivePseudoSum(REMOTE_POD, POD_A.ip(), 6, l4.length)) & 0xFFFF);
        return TestFrames.ethernet(GATEWAY_MAC, NODE_2.gatewayMac(), 0x0800, TestFrames.ipv4(6, REMOTE_POD, POD_A.ip(), 63, l4));
    }

    /** A TCP/IPv4 super-frame as a kernel with TSO hands it over: the checksum field holds the pseudo-header sum. */
    private static byte[] superFrame(final long sourceMac, final int sourceIp, final int destinationIp,
        final int payloadLength)
    {
        final byte[] l4 = TestFrames.tcp(sourceIp, destinationIp, 44000, 8080, 0x18, new byte[payloadLength]);
        TestFrames.putU16(l4, 16, TestFrames.naivePseudoSum(sourceIp, destinationIp, 6, l4.length) & 0xFFFF);
        return TestFrames.ethernet(GATEWAY_MAC, sourceMac, 0x0800, TestFrames.ipv4(6, sourceIp, destinationIp, 64, l4));
    }

    private static Map<String, byte[]> coalescerSeeds()
    {
        final Map<String, byte[]> seeds = new LinkedHashMap<>();
        // mss 100, capacity 64 + 255 * 16: four full segments merge into one super-frame.
        seeds.put("four-segments-merge", new byte[] {99, (byte)255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        // A PSH ends a frame; a short segment ends one; a gap, another flow, a corrupt byte pass alone.
        seeds.put("psh-short-gap-flow-corrupt", new byte[] {99, (byte)255, 0, 0, 0, 4, 0, 0, 0, 0, 0, 1, 50, 0,
            0, 0, 0, 8, 0, (byte)140, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0x20, 70, 1, 0, 0, 0});
        // Segments with TCP options (timestamps), then raw bytes that are no frame, then a tiny capacity.
        seeds.put("options-and-garbage", new byte[] {99, (byte)255, (byte)0x80, 1, 2, (byte)0x80, 1, 2, (byte)0x80, 1,
            2, 3, 6, 0, 0x45, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0});
        seeds.put("capacity-smaller-than-two-segments", new byte[] {99, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        return seeds;
    }
}
