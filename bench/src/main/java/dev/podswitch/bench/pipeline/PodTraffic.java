package dev.podswitch.bench.pipeline;


import dev.podswitch.bench.packet.FrameWriter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Pre-built traffic from pod A to pod B: {@code flows} distinct UDP flows (source port, then
 * destination port, vary), each a frame of exactly {@code frameBytes} (Ethernet header included,
 * no FCS). Only the first {@link #HEADER_LENGTH} bytes differ between flows, so they are stored
 * per flow and the rest of every frame comes from one shared payload: 100,000 flows of 1,500
 * bytes take 6 MB, not 150. {@link #copyInto} writes a whole frame, as a port reading a frame
 * into a ring slot does.
 */
final class PodTraffic
{
    static final int HEADER_LENGTH = 64;
    static final int FIRST_SOURCE_PORT = 1024;
    static final int SOURCE_PORTS = 50_000;
    /** Destination ports start here; flow i goes to FIRST_DESTINATION_PORT + i / SOURCE_PORTS. */
    static final int FIRST_DESTINATION_PORT = 5000;

    private final int frameBytes;
    private final int flows;
    private final MemorySegment headers;
    private final MemorySegment payload;

    PodTraffic(final int frameBytes, final int flows, final PodNetwork network)
    {
        this(frameBytes, flows, network, FIRST_DESTINATION_PORT);
    }

    /** As above, the destination ports starting at {@code firstDestinationPort} (past the policy's range: all denied). */
    PodTraffic(final int frameBytes, final int flows, final PodNetwork network, final int firstDestinationPort)
    {
        if (frameBytes < HEADER_LENGTH || flows < 1)
        {
            throw new IllegalArgumentException("frameBytes=" + frameBytes + " must be >= " + HEADER_LENGTH
                + " and flows=" + flows + " >= 1");
        }
        this.frameBytes = frameBytes;
        this.flows = flows;
        this.headers = Arena.ofAuto().allocate((long)flows * HEADER_LENGTH, 64);
        this.payload = Arena.ofAuto().allocate(frameBytes, 64);
        final MemorySegment scratch = Arena.ofAuto().allocate(frameBytes, 64);
        final FrameWriter writer = new FrameWriter();
        for (int flow = 0; flow < flows; flow++)
        {
            writer.udp(scratch, 0, frameBytes, network.clientMac(), network.clientGatewayMac(), network.clientIp(),
                network.serverIp(), FIRST_SOURCE_PORT + flow % SOURCE_PORTS,
                firstDestinationPort + flow / SOURCE_PORTS);
            MemorySegment.copy(scratch, 0, headers, (long)flow * HEADER_LENGTH, HEADER_LENGTH);
        }
        MemorySegment.copy(scratch, 0, payload, 0, frameBytes);
        for (int i = FrameWriter.UDP_PAYLOAD_OFFSET; i < frameBytes; i++)
        {
            payload.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte)i);
        }
    }

    /** The highest destination port any flow uses. */
    static int lastDestinationPort(final int flows)
    {
        return FIRST_DESTINATION_PORT + (flows - 1) / SOURCE_PORTS;
    }

    int frameBytes()
    {
        return frameBytes;
    }

    int flows()
    {
        return flows;
    }

    /** Writes flow {@code flow}'s frame at the start of {@code slot}. */
    void copyInto(final MemorySegment slot, final int flow)
    {
        MemorySegment.copy(headers, (long)flow * HEADER_LENGTH, slot, 0, HEADER_LENGTH);
        MemorySegment.copy(payload, HEADER_LENGTH, slot, HEADER_LENGTH, frameBytes - HEADER_LENGTH);
    }
}
