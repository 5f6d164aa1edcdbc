package dev.podswitch.dataplane.packet;

/**
 * What {@link FrameParser} learned about one frame: offsets and the header fields later stages
 * read, so that no stage parses twice. One instance travels with each frame slot and is
 * overwritten by the next parse; nothing here is valid after the slot is released.
 */
public final class PacketMeta
{
    public long destinationMac;
    public long sourceMac;
    public int etherType;
    /** Offset of the ARP or IPv4 header within the segment. */
    public long l3Offset;

    public int arpOperation;
    public long arpSenderMac;
    public int arpSenderIp;
    public int arpTargetIp;

    public int ipSource;
    public int ipDestination;
    /** IANA protocol number; one of {@link IpProtocol} or any other the switch forwards opaquely. */
    public int ipProtocol;
    public int ipTtl;
    public int ipTotalLength;
    public int ipIdentification;
    /**
     * For an IPv4 fragment (which {@link FrameParser#parse} reports as
     * {@link dev.podswitch.dataplane.stats.DropReason#IP_FRAGMENT}, with L3 read and L4 not): where
     * its payload lies in the datagram, in bytes, and whether more follows. Both zero otherwise.
     */
    public int fragmentOffset;
    public boolean moreFragments;
    public long l4Offset;
    public int l4Length;

    /** TCP, UDP, SCTP ports; zero for other protocols. */
    public int sourcePort;
    public int destinationPort;
    public int tcpFlags;
    public int icmpType;
    public int icmpCode;
    /** ICMP echo identifier, which conntrack uses as the "port" of an echo pseudo-connection. */
    public int icmpIdentifier;
    public int sctpChunkType;

    /**
     * Whether this ICMP error (destination unreachable, source quench, redirect, time exceeded,
     * parameter problem) quotes an IPv4 header and enough of its payload to name the offending
     * flow: its addresses, protocol and ports as that packet carried them. For a quoted ICMP
     * query both ports are its identifier, as conntrack keys echo pseudo-connections. False for a
     * truncated or garbled quote, which is no reason to drop the error itself.
     */
    public boolean icmpErrorHasQuote;
    public int quotedSource;
    public int quotedDestination;
    public int quotedProtocol;
    public int quotedSourcePort;
    public int quotedDestinationPort;
    /** The quoted packet's ICMP type when {@link #quotedProtocol} is ICMP, else zero. */
    public int quotedIcmpType;

    public boolean isArp()
    {
        return etherType == EthernetFlyweight.ETHER_TYPE_ARP;
    }

    public boolean isIpv4()
    {
        return etherType == EthernetFlyweight.ETHER_TYPE_IPV4;
    }

    /** Whether the packet is an IPv4 fragment, first or later. */
    public boolean isFragment()
    {
        return moreFragments || fragmentOffset != 0;
    }

    void clear()
    {
        arpOperation = 0;
        arpSenderMac = 0;
        arpSenderIp = 0;
        arpTargetIp = 0;
        ipSource = 0;
        ipDestination = 0;
        ipProtocol = 0;
        ipTtl = 0;
        ipTotalLength = 0;
        ipIdentification = 0;
        fragmentOffset = 0;
        moreFragments = false;
        l4Offset = 0;
        l4Length = 0;
        sourcePort = 0;
        destinationPort = 0;
        tcpFlags = 0;
        icmpType = 0;
        icmpCode = 0;
        icmpIdentifier = 0;
        sctpChunkType = 0;
        icmpErrorHasQuote = false;
        quotedSource = 0;
        quotedDestination = 0;
        quotedProtocol = 0;
        quotedSourcePort = 0;
        quotedDestinationPort = 0;
        quotedIcmpType = 0;
    }
}
