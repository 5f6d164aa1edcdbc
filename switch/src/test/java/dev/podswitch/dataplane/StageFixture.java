package dev.podswitch.dataplane;

import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.TestFrames;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static dev.podswitch.dataplane.packet.TestFrames.ip;

/**
 * The node the stage tests run on, and frames for it built byte by byte through {@link TestFrames}.
 *
 * <pre>
 *  node-1 (this node)  gateway 10.244.0.1, VTEP 192.168.50.1, pod CIDR 10.244.0.0/24
 *    port 1  pod A     10.244.0.2
 *    port 2  pod B     10.244.0.3
 *    port 3  host H    192.168.100.10 (behind an uplink)
 *    port 4  (no endpoint)
 *  node-2              VTEP 192.168.50.2, pod CIDR 10.244.1.0/24 (REMOTE_POD 10.244.1.7)
 *  node-3              VTEP 192.168.50.3, pod CIDR 10.244.2.0/24, host 192.168.200.20 attached there
 *  cluster 10.244.0.0/16; 10.244.9.0/24 belongs to no node
 * </pre>
 */
public final class StageFixture
{
    public static final int VNI = 0x00_1234;
    public static final int LOCAL_VTEP = ip(192, 168, 50, 1);
    public static final int GATEWAY_IP = ip(10, 244, 0, 1);
    public static final long GATEWAY_MAC = 0x0A58_0AF4_0001L;

    public static final LocalEndpoint POD_A = new LocalEndpoint(1, 0x0A58_0AF4_0002L, ip(10, 244, 0, 2),
        LocalEndpoint.Kind.POD, "default/a");
    public static final LocalEndpoint POD_B = new LocalEndpoint(2, 0x0A58_0AF4_0003L, ip(10, 244, 0, 3),
        LocalEndpoint.Kind.POD, "default/b");
    public static final LocalEndpoint HOST = new LocalEndpoint(3, 0x0200_0000_0100L, ip(192, 168, 100, 10),
        LocalEndpoint.Kind.HOST, "uplink/h");
    public static final int UNBOUND_PORT = 4;

    public static final ForwardingTable.RemoteNode NODE_2 = new ForwardingTable.RemoteNode("node-2",
        ip(192, 168, 50, 2), 0x0A58_0AF4_0101L);
    public static final ForwardingTable.RemoteNode NODE_3 = new ForwardingTable.RemoteNode("node-3",
        ip(192, 168, 50, 3), 0x0A58_0AF4_0201L);
    public static final int REMOTE_POD = ip(10, 244, 1, 7);
    public static final int NODE_3_POD = ip(10, 244, 2, 9);
    public static final int REMOTE_HOST = ip(192, 168, 200, 20);
    public static final int NOBODY_IN_CLUSTER = ip(10, 244, 9, 9);
    public static final int NOBODY_OUTSIDE = ip(8, 8, 8, 8);

    private StageFixture()
    {
    }

    /** Node-1's table with every endpoint above. */
    public static ForwardingTable table(final long generation)
    {
        return table(generation, List.of(POD_A, POD_B, HOST));
    }

    public static ForwardingTable table(final long generation, final List<LocalEndpoint> locals)
    {
        return new ForwardingTable(generation, GATEWAY_IP, GATEWAY_MAC, 24, ip(10, 244, 0, 0), 16,
            NodeDatapath.TUNNEL_PORT_ID, VNI, locals,
            List.of(new ForwardingTable.RemoteRoute(ip(10, 244, 1, 0), NODE_2),
                new ForwardingTable.RemoteRoute(ip(10, 244, 2, 0), NODE_3)),
            List.of(new ForwardingTable.RemoteRoute(REMOTE_HOST, NODE_3)));
    }

    public static StageHarness harness()
    {
        return new StageHarness(table(1), LOCAL_VTEP);
    }

    /** An IPv4 frame; addresses are as given, nothing is checked. */
    public static byte[] ipv4(final long sourceMac, final long destinationMac, final int sourceIp,
        final int destinationIp, final int ttl, final int protocol, final byte[] l4)
    {
        return TestFrames.pad(TestFrames.ethernet(destinationMac, sourceMac, 0x0800,
            TestFrames.ipv4(protocol, sourceIp, destinationIp, ttl, l4)));
    }

    /** A UDP datagram with a 12-byte payload, sent to the gateway MAC with TTL 64. */
    public static byte[] udp(final long sourceMac, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort)
    {
        return udp(sourceMac, sourceIp, destinationIp, sourcePort, destinationPort, 64);
    }

    public static byte[] udp(final long sourceMac, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort, final int ttl)
    {
        return ipv4(sourceMac, GATEWAY_MAC, sourceIp, destinationIp, ttl, 17,
            TestFrames.udp(sourceIp, destinationIp, sourcePort, destinationPort, "stage-harness".getBytes()));
    }

    public static byte[] udp(final LocalEndpoint from, final int destinationIp, final int sourcePort,
        final int destinationPort)
    {
        return udp(from.mac(), from.ip(), destinationIp, sourcePort, destinationPort);
    }

    /** A TCP segment without payload, sent to the gateway MAC with TTL 64. */
    public static byte[] tcp(final long sourceMac, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort, final int flags)
    {
        return ipv4(sourceMac, GATEWAY_MAC, sourceIp, destinationIp, 64, 6,
            TestFrames.tcp(sourceIp, destinationIp, sourcePort, destinationPort, flags, new byte[0]));
    }

    public static byte[] echoRequest(final long sourceMac, final int sourceIp, final int destinationIp,
        final int identifier, final int sequence, final byte[] data)
    {
        return ipv4(sourceMac, GATEWAY_MAC, sourceIp, destinationIp, 64, 1,
            TestFrames.icmpEcho(8, identifier, sequence, data));
    }

    public static byte[] arp(final int operation, final long senderMac, final int senderIp, final int targetIp)
    {
        return TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, senderMac, 0x0806,
            TestFrames.arp(operation, senderMac, senderIp, 0, targetIp)));
    }

    /**
     * An ICMP error of {@code type}/{@code code} quoting the IPv4 header and first 8 bytes of the
     * packet inside {@code offendingFrame}, as a host or router reports on it.
     */
    public static byte[] icmpError(final long sourceMac, final int sourceIp, final int destinationIp, final int type,
        final int code, final byte[] offendingFrame)
    {
        final int headerLength = (offendingFrame[TestFrames.ETH] & 0x0F) * 4;
        final int totalLength = TestFrames.u16(offendingFrame, TestFrames.ETH + 2);
        final byte[] quote = Arrays.copyOfRange(offendingFrame, TestFrames.ETH,
            TestFrames.ETH + Math.min(totalLength, headerLength + 8));
        final byte[] icmp = ByteBuffer.allocate(8 + quote.length).put((byte)type).put((byte)code).putShort((short)0)
            .putInt(0).put(quote).array();
        TestFrames.putU16(icmp, 2, TestFrames.naiveChecksum(icmp, 0, icmp.length));
        return ipv4(sourceMac, GATEWAY_MAC, sourceIp, destinationIp, 64, 1, icmp);
    }

    /** Reads a 48-bit MAC at {@code offset}. */
    public static long mac(final byte[] frame, final int offset)
    {
        final ByteBuffer view = ByteBuffer.wrap(frame);
        return ((long)view.getShort(offset) & 0xFFFF) << 32 | (view.getInt(offset + 2) & 0xFFFF_FFFFL);
    }

    /** {@code frame} as a router hop leaves it: new MACs, TTL one less, header checksum recomputed. */
    public static byte[] routed(final byte[] frame, final long destinationMac, final long sourceMac)
    {
        final byte[] expected = frame.clone();
        ByteBuffer.wrap(expected).putShort(0, (short)(destinationMac >>> 32)).putInt(2, (int)destinationMac)
            .putShort(6, (short)(sourceMac >>> 32)).putInt(8, (int)sourceMac);
        expected[TestFrames.ETH + 8]--;
        return TestFrames.fixIpChecksum(expected);
    }
}
