package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.TestFrames;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Which senders an underlay believes, address by address: its own VTEPs by port, loopback never, external peers by address. */
class VtepSendersTest
{
    private static final int OWN_VTEP = TestFrames.ip(127, 9, 8, 1);
    private static final int OTHER_LOOPBACK = TestFrames.ip(127, 9, 8, 2);
    private static final int KERNEL_PEER = TestFrames.ip(192, 168, 240, 2);

    private final VtepSenders senders = new VtepSenders();

    @Test
    void shouldBelieveOwnVtepOnlyWhenItComesFromOneOfItsSendingPorts()
    {
        senders.add(OWN_VTEP, new int[] {50_002, 50_001});
        assertTrue(senders.admits(OWN_VTEP, 50_001));
        assertTrue(senders.admits(OWN_VTEP, 50_002));
        assertFalse(senders.admits(OWN_VTEP, 50_003), "another port on our VTEP's address");
        assertFalse(senders.admits(OWN_VTEP, 4789), "the VTEP's listening port sends nothing");
        assertArrayEquals(new int[] {50_001, 50_002}, senders.portsOf(OWN_VTEP));
    }

    @Test
    void shouldRefuseEveryOtherLoopbackAddressWhenNoVtepHereHasIt()
    {
        senders.add(OWN_VTEP, new int[] {50_001});
        assertFalse(senders.admits(OTHER_LOOPBACK, 50_001));
        assertFalse(senders.admits(TestFrames.ip(127, 0, 0, 1), 4789));
    }

    @Test
    void shouldBelieveAnExternalPeerOnAnyPortWhenItsAddressIsOffLoopback()
    {
        // A kernel VXLAN device picks its source port per flow from its whole range.
        assertTrue(senders.admits(KERNEL_PEER, 49_152));
        assertTrue(senders.admits(KERNEL_PEER, 65_535));
    }

    @Test
    void shouldForgetEveryVtepWhenCleared()
    {
        senders.add(OWN_VTEP, new int[] {50_001});
        senders.clear();
        assertFalse(senders.admits(OWN_VTEP, 50_001), "a loopback address with no VTEP here");
        assertArrayEquals(new int[0], senders.portsOf(OWN_VTEP));
    }

    @Test
    void shouldAllocateNothingWhenJudgingSendersPerDatagram()
    {
        final boolean supported = ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
            && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled();
        assumeTrue(supported, "this JVM does not count allocated bytes per thread");
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        senders.add(OWN_VTEP, new int[] {50_001, 50_002, 50_003, 50_004, 50_005, 50_006, 50_007, 50_008});
        final int[] sources = {OWN_VTEP, OTHER_LOOPBACK, KERNEL_PEER};
        long admitted = 0;
        for (int i = 0; i < 200_000; i++)
        {
            admitted += senders.admits(sources[i % 3], 50_000 + i % 10) ? 1 : 0;
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++)
        {
            admitted += senders.admits(sources[i % 3], 50_000 + i % 10) ? 1 : 0;
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(admitted > 0);
        assertTrue(allocated < 4_096, "allocated " + allocated + " bytes over a million datagrams");
        assertEquals(8, senders.portsOf(OWN_VTEP).length);
    }
}
