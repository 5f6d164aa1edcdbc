package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.VxlanFlyweight;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link EpollUnderlay} on Netty's native epoll transport. */
class NettyEpollUnderlayConformanceTest extends VxlanUnderlayConformanceTest
{
    @Override
    protected void assumeAvailable()
    {
        assumeTrue(EpollUnderlay.nativeUnavailabilityCause() == null,
            () -> "no Netty epoll here: " + EpollUnderlay.nativeUnavailabilityCause());
    }

    @Override
    protected VxlanUnderlay newUnderlay()
    {
        return new EpollUnderlay(VxlanFlyweight.UDP_PORT, true);
    }
}
