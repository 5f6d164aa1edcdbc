package dev.podswitch.dataplane.port.tunnel;

import dev.podswitch.dataplane.packet.VxlanFlyweight;

/** {@link EpollUnderlay} on Netty's NIO transport: what it falls back to where epoll is unavailable. */
class NettyNioUnderlayConformanceTest extends VxlanUnderlayConformanceTest
{
    @Override
    protected VxlanUnderlay newUnderlay()
    {
        return new EpollUnderlay(VxlanFlyweight.UDP_PORT, false);
    }
}
