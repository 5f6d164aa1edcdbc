package dev.podswitch.dataplane.port.tunnel;

class MemoryUnderlayConformanceTest extends VxlanUnderlayConformanceTest
{
    @Override
    protected VxlanUnderlay newUnderlay()
    {
        return new MemoryUnderlay();
    }
}
