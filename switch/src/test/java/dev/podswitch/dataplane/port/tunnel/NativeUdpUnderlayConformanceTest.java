package dev.podswitch.dataplane.port.tunnel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NativeUdpUnderlayConformanceTest extends VxlanUnderlayConformanceTest
{
    @Override
    protected void assumeAvailable()
    {
        assumeTrue(NativeUdpUnderlay.isAvailable(), () -> "no FFM UDP sockets here: " + NativeUdpUnderlay.unavailabilityCause());
    }

    @Override
    protected VxlanUnderlay newUnderlay()
    {
        return new NativeUdpUnderlay();
    }
}
