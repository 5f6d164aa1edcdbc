package dev.podswitch.dataplane.port.tunnel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryUnderlayConformanceTest extends VxlanUnderlayConformanceTest
{
    /** Any port the sender's VTEP (if it is one) does not send from. */
    private static final int FOREIGN_PORT = 40_000;

    @Override
    protected VxlanUnderlay newUnderlay()
    {
        return new MemoryUnderlay();
    }

    /** Nothing outside the process reaches an in-memory underlay but through {@link MemoryUnderlay#deliverFrom}. */
    @Override
    protected void sendFromAnotherProcess(final VxlanUnderlay underlay, final int sourceIp, final int toVtep,
        final byte[] udpPayload)
    {
        assertFalse(Arrays.stream(underlay.sourcePorts(sourceIp)).anyMatch(port -> port == FOREIGN_PORT));
        assertTrue(((MemoryUnderlay)underlay).deliverFrom(sourceIp, FOREIGN_PORT, toVtep,
            MemorySegment.ofArray(udpPayload), 0, udpPayload.length));
    }

    /** Its ports are no host sockets: no other socket can take one. */
    @Override
    protected boolean anotherSocketCanBind(final int ip, final int port)
    {
        return false;
    }
}
