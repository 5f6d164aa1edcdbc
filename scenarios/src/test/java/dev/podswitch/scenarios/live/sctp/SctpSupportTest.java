package dev.podswitch.scenarios.live.sctp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which live SCTP way a machine gets, and when there is none. */
class SctpSupportTest
{
    @Test
    void shouldWorkWithEitherTheKernelsSctpOrRawSocketsAndExplainWhenNeither()
    {
        assertNull(SctpSupport.unavailableReason(true, false), "kernel SCTP sockets need no raw sockets");
        assertNull(SctpSupport.unavailableReason(false, true), "the userspace responder needs raw sockets only");
        final String why = SctpSupport.unavailableReason(false, false);
        assertTrue(why.contains("/proc/net/protocols") && why.contains("CAP_NET_RAW"), why);
    }

    @Test
    void shouldChooseTheKernelsSctpExactlyWhenTheKernelHasIt()
    {
        final LiveSctp way = SctpSupport.forThisMachine();
        if (SctpSupport.kernelHasSctp())
        {
            assertInstanceOf(KernelSctp.class, way);
        }
        else
        {
            assertInstanceOf(UserspaceSctp.class, way);
        }
        assertEquals(way, SctpSupport.forThisMachine(), "decided once");
    }
}
