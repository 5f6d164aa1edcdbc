package dev.podswitch.dataplane.stats;

/**
 * Every reason the data plane may drop a frame, each with a human label. One enum for the whole
 * switch so that counters, logs and the CLI agree on names; the invariant the tests hold is
 * {@code received = forwarded + delivered-locally + Σ drops}.
 */
public enum DropReason
{
    // L2
    TRUNCATED_ETHERNET("frame shorter than an Ethernet header"),
    UNKNOWN_ETHERTYPE("ethertype not handled (only IPv4 and ARP)"),
    MALFORMED_ARP("ARP packet truncated or not Ethernet/IPv4"),
    // L3
    TRUNCATED_IPV4("IPv4 header truncated"),
    BAD_IP_VERSION("IP version is not 4"),
    BAD_IHL("IPv4 header length (IHL) below 5 words or beyond the frame"),
    BAD_IP_LENGTH("IPv4 total length smaller than its header or larger than the frame"),
    BAD_IP_CHECKSUM("IPv4 header checksum wrong"),
    IP_FRAGMENT("IPv4 fragment (fragments are not reassembled)"),
    TTL_EXPIRED("TTL reached zero"),
    // L4
    TRUNCATED_L4("transport header truncated"),
    BAD_TCP_HEADER("TCP data offset below 5 words or beyond the packet"),
    BAD_UDP_LENGTH("UDP length disagrees with the IP payload"),
    // Identity and forwarding
    SPOOFED_SOURCE("source MAC or IP is not the sending pod's own"),
    NO_ROUTE("destination address owned by no pod, node or host"),
    UNKNOWN_MAC("destination MAC is neither the gateway nor broadcast"),
    NOT_FOR_US("ARP request for an address the switch does not answer"),
    BAD_TUNNEL_FRAME("VXLAN packet malformed, wrong VNI, or from an unknown VTEP"),
    TUNNEL_TX_FAILED("tunnel could not send"),
    PORT_DOWN("output port is gone or closed"),
    RING_FULL("ring buffer full at receive (back-pressure)"),
    FRAME_TOO_LONG("frame longer than a ring slot"),
    BAD_OFFLOAD("offload request (virtio-net header) malformed, or segmentation of a frame that is not TCP over IPv4"),
    // Policy
    POLICY_DENIED_EGRESS("denied by NetworkPolicy egress of the sending pod"),
    POLICY_DENIED_INGRESS("denied by NetworkPolicy ingress of the receiving pod"),
    // Bugs
    INTERNAL_ERROR("unexpected error while handling the frame (see the distinct-error log)");

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
