package dev.podswitch.policy.model;

import dev.podswitch.dataplane.packet.IpProtocol;

/**
 * The first packet of a connection, as policy judges it: who to whom, which IP protocol
 * ({@code protocolNumber}: any IANA number; {@link IpProtocol} names the ones with meaning here)
 * and which destination port (0 when the protocol has none).
 */
public record Traffic(int sourceIp, int destinationIp, int protocolNumber, int destinationPort)
{
    public static Traffic of(final int sourceIp, final int destinationIp, final IpProtocol protocol, final int port)
    {
        return new Traffic(sourceIp, destinationIp, protocol.number(), protocol.hasPorts() ? port : 0);
    }
}
