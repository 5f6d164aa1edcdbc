package dev.podswitch.dataplane.capture;

import java.lang.foreign.MemorySegment;

/**
 * Receives copies of the frames one port of a node sees, for {@code podswitch capture}: what the
 * port received (as it arrived, before any rewrite) and what the pipeline transmitted to it (as it
 * left); or, installed with {@code NodeDatapath.capture}, every frame the node received, for
 * {@code run --capture}. Both calls come on the node's pipeline thread with memory valid only
 * during the call, so an implementation copies what it keeps and returns quickly (it must not
 * block the pipeline): {@link CaptureQueue} is the one podswitch uses.
 *
 * <p>For the tunnel port ({@code NodeDatapath.TUNNEL_PORT_ID}) {@link #received} gets the
 * decapsulated inner frame and the VTEP that sent it; {@link #transmitted} gets the whole outer
 * frame (Ethernet, IPv4, UDP 4789, VXLAN, inner frame) as it went to the underlay.
 */
public interface FrameMirror
{
    /** @param tunnelSourceIp for the tunnel port, the sending VTEP; else 0. */
    void received(MemorySegment frame, long offset, int length, int tunnelSourceIp, long nowNs);

    void transmitted(MemorySegment frame, long offset, int length, long nowNs);
}
