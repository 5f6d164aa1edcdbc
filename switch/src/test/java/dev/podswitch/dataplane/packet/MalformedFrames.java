package dev.podswitch.dataplane.packet;

import dev.podswitch.dataplane.stats.DropReason;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static dev.podswitch.dataplane.packet.TestFrames.ETH;
import static dev.podswitch.dataplane.packet.TestFrames.putU16;

/**
 * The malformed-frame corpus: valid frames of every kind, then each broken in one way, with the
 * reason the parser must give. Shared by the parser test and the pipeline counter test, which
 * sends the same bytes through a node. A {@code null} reason means the frame is well formed.
 */
public final class MalformedFrames
{
    /** Who the frames are from and to: a pod, and the gateway MAC it sends through. */
    public record Addresses(long sourceMac, long gatewayMac, int sourceIp, int destinationIp)
    {
    }

    public record Case(String name, byte[] frame, DropReason expected)
    {
        @Override
        public String toString()
        {
            return name + " -> " + expected;
        }
    }

    public static final Addresses DEFAULT = new Addresses(0x0A58_0AF4_0002L, 0x0A58_0AF4_0001L,
        TestFrames.ip(10, 244, 0, 2), TestFrames.ip(10, 244, 1, 2));

    private MalformedFrames()
    {
    }

    /** One valid frame of every kind the parser knows, by name. */
    public static List<Case> validFrames(final Addresses a)
    {
        final List<Case> valid = new ArrayList<>();
        valid.add(new Case("arp-request", TestFrames.pad(TestFrames.ethernet(0xFFFF_FFFF_FFFFL, a.sourceMac(), 0x0806,
            TestFrames.arp(1, a.sourceMac(), a.sourceIp(), 0, a.destinationIp()))), null));
        valid.add(new Case("icmp-echo", ipv4Frame(a, 1, TestFrames.icmpEcho(8, 0x1C46, 1, bytes(24))), null));
        valid.add(new Case("tcp-syn", TestFrames.pad(ipv4Frame(a, 6,
            TestFrames.tcp(a.sourceIp(), a.destinationIp(), 40000, 80, 0x02, new byte[0]))), null));
        valid.add(new Case("udp-dns", ipv4Frame(a, 17, TestFrames.udp(a.sourceIp(), a.destinationIp(), 53421, 53,
            "\u00be\u00ef\u0001\u0000query".getBytes(StandardCharsets.ISO_8859_1))), null));
        valid.add(new Case("sctp-init", ipv4Frame(a, 132, TestFrames.sctpInit(40000, 9000, 0x1234_5678)), null));
        valid.add(new Case("gre-opaque", ipv4Frame(a, 47, bytes(12)), null));
        valid.add(new Case("ipv4-options", ipv4WithOptions(a), null));
        return valid;
    }

    public static byte[] ipv4Frame(final Addresses a, final int protocol, final byte[] l4)
    {
        return TestFrames.ethernet(a.gatewayMac(), a.sourceMac(), 0x0800,
            TestFrames.ipv4(protocol, a.sourceIp(), a.destinationIp(), 64, l4));
    }

    /** IHL 6: a 4-byte options word (two NOPs, EOL, padding) before a UDP datagram. */
    private static byte[] ipv4WithOptions(final Addresses a)
    {
        final byte[] udp = TestFrames.udp(a.sourceIp(), a.destinationIp(), 1000, 2000, bytes(4));
        final byte[] plain = TestFrames.ipv4(17, a.sourceIp(), a.destinationIp(), 64, udp);
        final byte[] packet = new byte[plain.length + 4];
        System.arraycopy(plain, 0, packet, 0, 20);
        packet[20] = 1;
        packet[21] = 1;
        System.arraycopy(plain, 20, packet, 24, udp.length);
        packet[0] = 0x46;
        putU16(packet, 2, packet.length);
        final byte[] frame = TestFrames.ethernet(a.gatewayMac(), a.sourceMac(), 0x0800, packet);
        return TestFrames.fixIpChecksum(frame);
    }

    private static byte[] bytes(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(0x10 + i);
        }
        return bytes;
    }

    /** The expected verdict for a valid frame cut to {@code length} bytes: an independent oracle. */
    public static DropReason expectedForTruncation(final byte[] full, final int length)
    {
        if (length < ETH)
        {
            return DropReason.TRUNCATED_ETHERNET;
        }
        final int etherType = TestFrames.u16(full, 12);
        if (etherType == 0x0806)
        {
            return length < ETH + 28 ? DropReason.MALFORMED_ARP : null;
        }
        final int l3 = length - ETH;
        if (l3 < 20)
        {
            return DropReason.TRUNCATED_IPV4;
        }
        if (l3 < (full[ETH] & 0x0F) * 4)
        {
            return DropReason.BAD_IHL;
        }
        return l3 < TestFrames.u16(full, ETH + 2) ? DropReason.BAD_IP_LENGTH : null;
    }

    /** Every valid frame, every single-fault breakage, and every truncation. */
    public static List<Case> corpus(final Addresses a)
    {
        final List<Case> cases = new ArrayList<>(validFrames(a));
        final byte[] arp = frame(a, "arp-request");
        final byte[] icmp = frame(a, "icmp-echo");
        final byte[] tcp = frame(a, "tcp-syn");
        final byte[] udp = frame(a, "udp-dns");
        final byte[] sctp = frame(a, "sctp-init");
        final int l4 = ETH + 20;

        for (final Case valid : validFrames(a))
        {
            for (int length = 0; length < valid.frame().length; length++)
            {
                cases.add(new Case(valid.name() + " cut to " + length, java.util.Arrays.copyOf(valid.frame(), length),
                    expectedForTruncation(valid.frame(), length)));
            }
        }
        // Ethernet
        for (final int etherType : new int[] {0x86DD, 0x8100, 0x88CC, 0x0000, 0xFFFF})
        {
            cases.add(broken("ethertype " + Integer.toHexString(etherType), icmp, f -> putU16(f, 12, etherType), false,
                DropReason.UNKNOWN_ETHERTYPE));
        }
        // ARP
        cases.add(broken("arp htype 6", arp, f -> putU16(f, ETH, 6), false, DropReason.MALFORMED_ARP));
        cases.add(broken("arp ptype 86dd", arp, f -> putU16(f, ETH + 2, 0x86DD), false, DropReason.MALFORMED_ARP));
        cases.add(broken("arp hlen 8", arp, f -> f[ETH + 4] = 8, false, DropReason.MALFORMED_ARP));
        cases.add(broken("arp plen 16", arp, f -> f[ETH + 5] = 16, false, DropReason.MALFORMED_ARP));
        cases.add(broken("arp opcode 3", arp, f -> putU16(f, ETH + 6, 3), false, DropReason.MALFORMED_ARP));
        cases.add(broken("arp opcode 0", arp, f -> putU16(f, ETH + 6, 0), false, DropReason.MALFORMED_ARP));
        cases.add(broken("arp reply", arp, f -> putU16(f, ETH + 6, 2), false, null));
        // IPv4 header
        cases.add(broken("ip version 6", icmp, f -> f[ETH] = 0x65, true, DropReason.BAD_IP_VERSION));
        cases.add(broken("ip version 0", icmp, f -> f[ETH] = 0x05, true, DropReason.BAD_IP_VERSION));
        cases.add(broken("ihl 4", icmp, f -> f[ETH] = 0x44, false, DropReason.BAD_IHL));
        cases.add(broken("ihl 0", icmp, f -> f[ETH] = 0x40, false, DropReason.BAD_IHL));
        cases.add(broken("ihl 15 beyond the frame", tcp, f -> f[ETH] = 0x4F, false, DropReason.BAD_IHL));
        cases.add(broken("total length 19", icmp, f -> putU16(f, ETH + 2, 19), true, DropReason.BAD_IP_LENGTH));
        cases.add(broken("total length 0", icmp, f -> putU16(f, ETH + 2, 0), true, DropReason.BAD_IP_LENGTH));
        cases.add(broken("total length frame + 1", icmp, f -> putU16(f, ETH + 2, f.length - ETH + 1), true,
            DropReason.BAD_IP_LENGTH));
        cases.add(broken("total length 65535", icmp, f -> putU16(f, ETH + 2, 0xFFFF), true, DropReason.BAD_IP_LENGTH));
        cases.add(broken("checksum off by one", icmp, f -> putU16(f, ETH + 10, TestFrames.u16(f, ETH + 10) ^ 1), false,
            DropReason.BAD_IP_CHECKSUM));
        cases.add(broken("checksum zero", icmp, f -> putU16(f, ETH + 10, 0), false, DropReason.BAD_IP_CHECKSUM));
        cases.add(broken("ttl changed, checksum not", icmp, f -> f[ETH + 8] = 63, false, DropReason.BAD_IP_CHECKSUM));
        cases.add(broken("more fragments", icmp, f -> putU16(f, ETH + 6, 0x2000), true, DropReason.IP_FRAGMENT));
        cases.add(broken("fragment offset 1", icmp, f -> putU16(f, ETH + 6, 0x0001), true, DropReason.IP_FRAGMENT));
        cases.add(broken("last fragment offset 1fff", udp, f -> putU16(f, ETH + 6, 0x1FFF), true, DropReason.IP_FRAGMENT));
        cases.add(broken("don't fragment only", icmp, f -> putU16(f, ETH + 6, 0x4000), true, null));
        cases.add(broken("no flags", icmp, f -> putU16(f, ETH + 6, 0), true, null));
        // TCP
        cases.add(broken("tcp data offset 4", tcp, f -> f[l4 + 12] = 0x40, false, DropReason.BAD_TCP_HEADER));
        cases.add(broken("tcp data offset 0", tcp, f -> f[l4 + 12] = 0x00, false, DropReason.BAD_TCP_HEADER));
        cases.add(broken("tcp data offset 6 beyond segment", tcp, f -> f[l4 + 12] = 0x60, false,
            DropReason.BAD_TCP_HEADER));
        cases.add(broken("tcp data offset 15", tcp, f -> f[l4 + 12] = (byte)0xF0, false, DropReason.BAD_TCP_HEADER));
        cases.add(broken("tcp 19 bytes", tcp, f -> putU16(f, ETH + 2, 20 + 19), true, DropReason.TRUNCATED_L4));
        cases.add(broken("tcp 0 bytes", tcp, f -> putU16(f, ETH + 2, 20), true, DropReason.TRUNCATED_L4));
        // UDP
        cases.add(broken("udp length 7", udp, f -> putU16(f, l4 + 4, 7), false, DropReason.BAD_UDP_LENGTH));
        cases.add(broken("udp length 0", udp, f -> putU16(f, l4 + 4, 0), false, DropReason.BAD_UDP_LENGTH));
        cases.add(broken("udp length beyond ip payload", udp, f -> putU16(f, l4 + 4, f.length - l4 + 1), false,
            DropReason.BAD_UDP_LENGTH));
        cases.add(broken("udp length 65535", udp, f -> putU16(f, l4 + 4, 0xFFFF), false, DropReason.BAD_UDP_LENGTH));
        cases.add(broken("udp length 8 (shorter than ip payload)", udp, f -> putU16(f, l4 + 4, 8), false, null));
        cases.add(broken("udp 7 bytes", udp, f -> putU16(f, ETH + 2, 20 + 7), true, DropReason.TRUNCATED_L4));
        // ICMP, SCTP
        cases.add(broken("icmp 7 bytes", icmp, f -> putU16(f, ETH + 2, 20 + 7), true, DropReason.TRUNCATED_L4));
        cases.add(broken("icmp 8 bytes", icmp, f -> putU16(f, ETH + 2, 20 + 8), true, null));
        cases.add(broken("sctp 15 bytes", sctp, f -> putU16(f, ETH + 2, 20 + 15), true, DropReason.TRUNCATED_L4));
        cases.add(broken("sctp 16 bytes", sctp, f -> putU16(f, ETH + 2, 20 + 16), true, null));
        return cases;
    }

    /** The corpus cases the parser must drop. */
    public static List<Case> malformed(final Addresses a)
    {
        return corpus(a).stream().filter(c -> c.expected() != null).toList();
    }

    private static byte[] frame(final Addresses a, final String name)
    {
        return validFrames(a).stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().frame();
    }

    private static Case broken(final String name, final byte[] valid, final Consumer<byte[]> breakIt,
        final boolean fixChecksum, final DropReason expected)
    {
        final byte[] frame = valid.clone();
        breakIt.accept(frame);
        if (fixChecksum)
        {
            TestFrames.fixIpChecksum(frame);
        }
        return new Case(name, frame, expected);
    }
}
