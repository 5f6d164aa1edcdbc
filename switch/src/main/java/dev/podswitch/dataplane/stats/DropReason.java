package dev.podswitch.dataplane.stats;

/**
 * Every reason the data plane may drop a frame, each with a human label that says exactly what
 * it counts (every place that returns or counts the reason, not just the common one). One enum for
 * the whole switch so that counters, logs and the CLI agree on names; the invariant the tests hold
 * is {@code received = forwarded + answered + Σ drops} (plus, while a datagram is being
 * reassembled, its fragments held: each ends in one bucket when it completes, or is dropped).
 */
public enum DropReason
{
    // L2
    TRUNCATED_ETHERNET("frame shorter than an Ethernet header (14 bytes)"),
    UNKNOWN_ETHERTYPE("ethertype neither IPv4 nor ARP (IPv6 and VLAN-tagged frames included)"),
    MALFORMED_ARP("ARP packet truncated, not Ethernet/IPv4, or neither a request nor a reply"),
    // L3
    TRUNCATED_IPV4("frame too short for an IPv4 header (20 bytes)"),
    BAD_IP_VERSION("IP version is not 4"),
    BAD_IHL("IPv4 header length (IHL) below 5 words or beyond the frame"),
    BAD_IP_LENGTH("IPv4 total length smaller than its header or larger than the frame"),
    BAD_IP_CHECKSUM("IPv4 header checksum wrong"),
    IP_FRAGMENT("IPv4 fragment the switch does not reassemble: one to the gateway IP, any when reassembly is off "
        + "(switch.reassembly.datagrams=0), or one an emulated endpoint receives"),
    TTL_EXPIRED("IPv4 packet to be routed arrived with TTL 1 or 0, so it would leave with 0 (no ICMP time exceeded "
        + "is sent)"),
    // L4
    TRUNCATED_L4("TCP, UDP, ICMP or SCTP header shorter than its fixed part"),
    BAD_TCP_HEADER("TCP data offset below 5 words or beyond the IP payload"),
    BAD_UDP_LENGTH("UDP length field below 8 or beyond the IP payload"),
    // Identity and forwarding
    SPOOFED_SOURCE("source MAC, IP or ARP sender is not the sending port's own endpoint's; or a tunnel frame's inner "
        + "source does not live behind the VTEP that sent it"),
    NO_ROUTE("destination IP is no local endpoint's and no remote node's route covers it; or a frame from the tunnel "
        + "is not for a local endpoint (never sent back into the tunnel); or the route needs the tunnel and the node "
        + "has none"),
    UNKNOWN_MAC("IPv4 packet for another address whose destination MAC is not the node gateway's (broadcast and "
        + "multicast included: only the gateway routes)"),
    NOT_FOR_US("addressed to the switch but nothing it answers: an ARP reply, gratuitous ARP or address probe; a "
        + "packet to the gateway IP other than an ICMP echo request; or any ARP or packet to the gateway IP from the "
        + "tunnel"),
    BAD_TUNNEL_FRAME("VXLAN packet shorter than VXLAN + Ethernet headers, without the I flag, of another VNI, or from "
        + "a VTEP that is no peer in the forwarding table"),
    SPOOFED_VTEP("VXLAN datagram from a sender the underlay does not believe: from one of this process's VTEP "
        + "addresses but not from one of that VTEP's sending ports, or from any other loopback address (anything on "
        + "the host can send from those); never delivered, whatever its VNI"),
    TUNNEL_TX_FAILED("tunnel could not send: the inner frame does not fit the encapsulation buffer, or the underlay "
        + "refused it (any segment of a super-frame)"),
    PORT_DOWN("a port of the frame is gone or refused it: the input port has no endpoint in the forwarding table, "
        + "the output port has no endpoint or is not attached, or the port refused the forwarded frame or the "
        + "gateway's answer"),
    RING_FULL("ring buffer full at receive (back-pressure)"),
    FRAME_TOO_LONG("frame longer than a ring slot (from a TAP: one that filled its slot and may have been cut)"),
    BAD_OFFLOAD("offload request (virtio-net header) malformed, from a TAP opened without offloads, or not fitting "
        + "its frame: a checksum request on anything but TCP or UDP over IPv4, or whose start is not the L4 header or "
        + "whose offset is not that protocol's checksum field; segmentation of anything but TCP over IPv4, into "
        + "segments smaller than 512 bytes (asked for by a pod), more than 128 of them, or segments larger than a ring "
        + "slot"),
    // Policy
    POLICY_DENIED_EGRESS("denied by NetworkPolicy egress of the sending pod: a packet of no tracked connection "
        + "(with switch.policy.reevaluateEstablished, also one of an established connection after a policy change)"),
    POLICY_DENIED_INGRESS("denied by NetworkPolicy ingress of the receiving pod: a packet of no tracked connection "
        + "(with switch.policy.reevaluateEstablished, also one of an established connection after a policy change)"),
    // Connection tracking
    CONNTRACK_ZONE_FULL("first packet of a connection policy allowed, refused because the local endpoint it belongs to "
        + "(its sender if local, else its receiver; one shared zone when neither is) already holds its share of the "
        + "node's connection-tracking table (switch.conntrack.zoneLimitPercent)"),
    // Bugs
    INTERNAL_ERROR("unexpected error while handling the frame (see the distinct-error log)"),
    // Reassembly (IPv4 fragments are held until their datagram is whole, then judged once and forwarded)
    FRAGMENT_MALFORMED("IPv4 fragment that cannot belong to a datagram: a fragment other than the last whose payload "
        + "is empty or not a multiple of 8 bytes, one that would end beyond 65,535 bytes, or one with an offload "
        + "request (only this fragment is dropped)"),
    FRAGMENT_DUPLICATE("IPv4 fragment covering exactly the bytes of one already held for its datagram (only the copy "
        + "is dropped)"),
    FRAGMENT_OVERLAP("IPv4 fragment overlapping one held for its datagram, or disagreeing with the others about where "
        + "the datagram ends: it and every fragment held for the datagram are dropped (as Linux does)"),
    FRAGMENTS_TOO_MANY("IPv4 fragment of a datagram that already holds the most fragments one may have "
        + "(64): it and every fragment held for the datagram are dropped"),
    FRAGMENT_TABLE_FULL("IPv4 fragment of a new datagram while every reassembly slot of the node is in use "
        + "(switch.reassembly.datagrams)"),
    FRAGMENT_TIMEOUT("IPv4 fragment held for a datagram that was not whole within switch.reassembly.timeoutMs "
        + "(no ICMP is sent, as Linux sends none for fragments it reassembles only to forward)");

    private final String label;

    DropReason(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }
}
