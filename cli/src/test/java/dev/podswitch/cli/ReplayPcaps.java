package dev.podswitch.cli;

import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV4Rfc791Tos;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.pcap4j.packet.namednumber.EtherType;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.packet.namednumber.TcpPort;
import org.pcap4j.util.MacAddress;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.List;

/**
 * Captures for the replay tests, made with pcap4j — its packet builders and its dumper — so the
 * frames podswitch replays are not podswitch's own encoding: TCP SYNs "captured" on some other
 * machine (its MAC and IP as source, another gateway's MAC as destination).
 */
final class ReplayPcaps
{
    static final String CAPTURED_IP = "192.168.7.9";
    static final MacAddress CAPTURED_MAC = MacAddress.getByName("02:11:22:33:44:55");
    static final MacAddress CAPTURED_GATEWAY = MacAddress.getByName("02:aa:bb:cc:dd:ee");

    private ReplayPcaps()
    {
    }

    /** An Ethernet/IPv4/TCP SYN from {@link #CAPTURED_IP}, with {@code payloadBytes} of data after the header. */
    static byte[] syn(final String destination, final int sourcePort, final int destinationPort, final int payloadBytes)
        throws Exception
    {
        final Inet4Address source = (Inet4Address)InetAddress.getByName(CAPTURED_IP);
        final Inet4Address target = (Inet4Address)InetAddress.getByName(destination);
        final TcpPacket.Builder tcp = new TcpPacket.Builder().srcPort(TcpPort.getInstance((short)sourcePort))
            .dstPort(TcpPort.getInstance((short)destinationPort)).sequenceNumber(1000 + sourcePort).syn(true)
            .window((short)64240).srcAddr(source).dstAddr(target).correctChecksumAtBuild(true).correctLengthAtBuild(true);
        if (payloadBytes > 0)
        {
            tcp.payloadBuilder(new UnknownPacket.Builder().rawData(new byte[payloadBytes]));
        }
        final IpV4Packet.Builder ipv4 = new IpV4Packet.Builder().version(IpVersion.IPV4)
            .tos(IpV4Rfc791Tos.newInstance((byte)0)).ttl((byte)64).protocol(IpNumber.TCP).srcAddr(source).dstAddr(target)
            .identification((short)sourcePort).payloadBuilder(tcp).correctChecksumAtBuild(true).correctLengthAtBuild(true);
        return new EthernetPacket.Builder().srcAddr(CAPTURED_MAC).dstAddr(CAPTURED_GATEWAY).type(EtherType.IPV4)
            .payloadBuilder(ipv4).paddingAtBuild(true).build().getRawData();
    }

    /** Writes {@code frames} to {@code file} as pcap4j's dumper does (classic pcap). */
    static Path write(final Path file, final DataLinkType linkType, final List<byte[]> frames) throws Exception
    {
        try (PcapHandle handle = Pcaps.openDead(linkType, 262_144))
        {
            final PcapDumper dumper = handle.dumpOpen(file.toString());
            try
            {
                long millis = 1_709_294_400_000L;
                for (final byte[] frame : frames)
                {
                    dumper.dumpRaw(frame, new Timestamp(millis++));
                }
            }
            finally
            {
                dumper.close();
            }
        }
        return file;
    }
}
