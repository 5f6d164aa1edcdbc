package dev.podswitch.bench.flood;

import dev.podswitch.bench.packet.FrameWriter;
import dev.podswitch.control.Attachment;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.packet.TcpFlyweight;
import dev.podswitch.dataplane.ring.FrameRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The flooding pod's sender: crafted frames offered straight into its port's ring, as a raw
 * socket's packets arrive through a pod's interface, each opening a new flow — source port
 * 1,024–32,767 (below the probes' 32,768–60,999, so no answer is mistaken for a probe's), then
 * one of {@link FloodKind#DESTINATION_PORTS} destination ports: about 16 million distinct
 * 5-tuples before one repeats. Nothing listens behind the flooder's port (its sink only counts),
 * so no answer provokes another packet. Driver thread only; allocates nothing per frame.
 */
final class Flooder
{
    static final int FIRST_SOURCE_PORT = 1024;
    static final int SOURCE_PORTS = 32_768 - FIRST_SOURCE_PORT;
    private static final int FRAME_LENGTH = 64;

    private final FloodKind kind;
    private final Attachment flooder;
    private final Attachment target;
    private final FrameRing ring;
    private final long gatewayMac;
    private final FrameWriter writer = new FrameWriter();
    private final MemorySegment frame = Arena.ofAuto().allocate(FRAME_LENGTH, 64);
    private long nextFlow;
    private long offered;
    private long accepted;

    Flooder(final FloodKind kind, final Attachment flooder, final Attachment target)
    {
        this.kind = kind;
        this.flooder = flooder;
        this.target = target;
        this.ring = flooder.node().datapath().ring();
        this.gatewayMac = flooder.node().gatewayMac();
    }

    /** Offers {@code count} frames, each a new flow; returns how many the ring took (the rest are RING_FULL drops). */
    int offer(final int count)
    {
        if (kind == FloodKind.NONE)
        {
            return 0;
        }
        int taken = 0;
        for (int i = 0; i < count; i++)
        {
            final long flow = nextFlow++;
            final int sourcePort = FIRST_SOURCE_PORT + (int)(flow % SOURCE_PORTS);
            final int destinationPort = kind.firstDestinationPort()
                + (int)((flow / SOURCE_PORTS) % FloodKind.DESTINATION_PORTS);
            if (kind.protocol() == IpProtocol.UDP)
            {
                writer.udp(frame, 0, FRAME_LENGTH, flooder.mac(), gatewayMac, flooder.ip(), target.ip(), sourcePort,
                    destinationPort);
            }
            else
            {
                writer.tcp(frame, 0, FRAME_LENGTH, flooder.mac(), gatewayMac, flooder.ip(), target.ip(), sourcePort,
                    destinationPort, TcpFlyweight.FLAG_SYN);
            }
            if (ring.offer(flooder.port().id(), frame, 0, FRAME_LENGTH))
            {
                taken++;
            }
        }
        offered += count;
        accepted += taken;
        return taken;
    }

    long offered()
    {
        return offered;
    }

    long accepted()
    {
        return accepted;
    }
}
