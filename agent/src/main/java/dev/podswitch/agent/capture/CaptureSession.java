package dev.podswitch.agent.capture;

import dev.podswitch.dataplane.capture.CaptureQueue;
import dev.podswitch.dataplane.packet.EthernetFlyweight;
import dev.podswitch.dataplane.packet.Ipv4Flyweight;
import dev.podswitch.dataplane.packet.PacketBytes;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;
import dev.podswitch.dataplane.port.tunnel.VxlanOuterHeaders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One running capture of {@link CaptureServer}: the {@link CaptureQueue} the port's node mirrors
 * into on the pipeline side, and this session's thread streaming the records to the client on the
 * socket side. For a tunnel port, frames the node received come decapsulated, so the outer headers
 * are put back ({@link VxlanOuterHeaders}, the outer UDP source port a hash of the inner flow —
 * the real one is not kept) and the whole capture decodes as VXLAN both ways.
 */
final class CaptureSession
{
    private static final int OUT_BUFFER = 2 * CaptureProtocol.MAX_FRAME_LENGTH;
    private static final int DRAIN_LIMIT = 256;
    private static final long IDLE_PARK_NS = 1_000_000;
    private static final int FRAME_RECORD_HEADER = 1 + Long.BYTES + Integer.BYTES;

    private final CaptureServer.Target target;
    private final String key;
    private final SocketChannel client;
    private final Consumer<CaptureSession> ended;
    private final CaptureQueue queue = new CaptureQueue();
    private final ByteBuffer out = ByteBuffer.allocateDirect(OUT_BUFFER);
    private final MemorySegment outSegment = MemorySegment.ofBuffer(out);
    private final MemorySegment outerHeaders = MemorySegment.ofArray(new byte[VxlanOuterHeaders.LENGTH]);
    private final VxlanOuterHeaders outer = new VxlanOuterHeaders();
    /** System.nanoTime() → nanoseconds since the epoch, for the pipeline's batch timestamps. */
    private final long epochOffsetNs;
    private volatile String stopReason;
    private volatile boolean clientGone;
    private final Thread thread;
    private int identification;

    /** @param ended told when the capture is over, from this session's thread. */
    CaptureSession(final CaptureServer.Target target, final String key, final SocketChannel client,
        final Consumer<CaptureSession> ended)
    {
        this.target = target;
        this.key = key;
        this.client = client;
        this.ended = ended;
        // Made on the connection's own thread, which then runs it.
        this.thread = Thread.currentThread();
        this.epochOffsetNs = CaptureQueue.epochOffsetNs();
    }

    CaptureQueue queue()
    {
        return queue;
    }

    String key()
    {
        return key;
    }

    SocketChannel client()
    {
        return client;
    }

    Thread thread()
    {
        return thread;
    }

    void stop(final String why)
    {
        stopReason = why;
        LockSupport.unpark(thread);
    }

    void run()
    {
        thread.setName("psw-capture-" + target.portName());
        // The client sends nothing after its request: a read returns only when it has gone (EOF),
        // so the mirror is removed at once rather than at the next failed write.
        Thread.ofVirtual().name("psw-capture-watch").start(this::watchClient);
        long nextStats = System.nanoTime() + CaptureProtocol.STATS_INTERVAL_NS;
        try
        {
            while (stopReason == null)
            {
                final int handed = queue.drain(this::put, DRAIN_LIMIT);
                final long now = System.nanoTime();
                if (now - nextStats >= 0)
                {
                    putStats();
                    nextStats = now + CaptureProtocol.STATS_INTERVAL_NS;
                }
                if (handed < DRAIN_LIMIT)
                {
                    flush();
                    if (handed == 0)
                    {
                        LockSupport.parkNanos(IDLE_PARK_NS);
                    }
                }
            }
            if (clientGone)
            {
                return;
            }
            // The lab is stopping: stop mirroring, send what is queued, say why, then EOF.
            target.datapath().mirror(target.portId(), null);
            while (queue.drain(this::put, DRAIN_LIMIT) > 0)
            {
                // until empty
            }
            putStats();
            final byte[] why = stopReason.getBytes(StandardCharsets.UTF_8);
            final int whyLength = Math.min(why.length, CaptureProtocol.MAX_LINE);
            ensureRoom(1 + Integer.BYTES + whyLength);
            out.put(CaptureProtocol.END).putInt(whyLength).put(why, 0, whyLength);
            flush();
        }
        catch (final IOException | UncheckedIOException clientGone)
        {
            // The client closed the connection (Ctrl-C, count reached): the capture is over.
        }
        finally
        {
            target.datapath().mirror(target.portId(), null);
            dev.podswitch.util.Closeables.closeQuietly(client);
            ended.accept(this);
        }
    }

    private void watchClient()
    {
        final ByteBuffer ignored = ByteBuffer.allocate(64);
        try
        {
            while (client.read(ignored) >= 0)
            {
                ignored.clear();
            }
        }
        catch (final IOException closed)
        {
            // Closed by either side: over either way.
        }
        clientGone = true;
        stop("the client has gone");
    }

    private void put(final boolean transmitted, final MemorySegment ring, final long offset, final int length,
        final long nowNs, final int tunnelSourceIp)
    {
        final boolean outerMissing = target.tunnel() && !transmitted;
        // The outer headers put back count against the snap length too: the record stays within the
        // protocol's bound (the cut is at the end; the outer lengths still tell the whole frame's).
        final int captured = outerMissing ? Math.min(length, CaptureProtocol.MAX_FRAME_LENGTH - VxlanOuterHeaders.LENGTH)
            : length;
        final int frameLength = captured + (outerMissing ? VxlanOuterHeaders.LENGTH : 0);
        try
        {
            ensureRoom(FRAME_RECORD_HEADER + frameLength);
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(failed);
        }
        out.put(CaptureProtocol.FRAME).putLong(epochOffsetNs + nowNs).putInt(frameLength);
        if (outerMissing)
        {
            writeOuterHeaders(ring, offset, length, tunnelSourceIp);
            out.put(outerHeaders.asByteBuffer());
        }
        MemorySegment.copy(ring, offset, outSegment, out.position(), captured);
        out.position(out.position() + captured);
    }

    /** Outer headers as the sending VTEP built them, around an inner frame the node received. */
    private void writeOuterHeaders(final MemorySegment ring, final long offset, final int length,
        final int remoteVtepIp)
    {
        outer.write(outerHeaders, 0, remoteVtepIp, target.localVtepIp(),
            TunnelPort.sourcePortFor(innerFlowHash(ring, offset, length)), target.vni(), length, identification++);
    }

    private void putStats() throws IOException
    {
        ensureRoom(1 + 2 * Long.BYTES);
        out.put(CaptureProtocol.STATS).putLong(queue.queued()).putLong(queue.dropped());
    }

    private void ensureRoom(final int bytes) throws IOException
    {
        if (out.remaining() < bytes)
        {
            flush();
        }
    }

    private void flush() throws IOException
    {
        out.flip();
        while (out.hasRemaining())
        {
            if (client.write(out) < 0)
            {
                throw new ClosedChannelException();
            }
        }
        out.clear();
    }

    /** The inner IPv4 addresses, protocol and (for TCP/UDP/SCTP) ports, mixed: stable per flow. */
    static int innerFlowHash(final MemorySegment frame, final long offset, final int length)
    {
        final int l3 = EthernetFlyweight.HEADER_LENGTH;
        if (length < l3 + Ipv4Flyweight.MIN_HEADER_LENGTH
            || PacketBytes.getU16(frame, offset + EthernetFlyweight.ETHER_TYPE_OFFSET) != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            return 0;
        }
        final ValueLayout.OfInt word = ValueLayout.JAVA_INT_UNALIGNED;
        int hash = frame.get(word, offset + l3 + Ipv4Flyweight.SOURCE_OFFSET) * 31
            + frame.get(word, offset + l3 + Ipv4Flyweight.DESTINATION_OFFSET);
        hash = hash * 31 + frame.get(ValueLayout.JAVA_BYTE, offset + l3 + Ipv4Flyweight.PROTOCOL_OFFSET);
        final int headerLength = (frame.get(ValueLayout.JAVA_BYTE, offset + l3) & 0x0F) * 4;
        if (length >= l3 + headerLength + Integer.BYTES)
        {
            hash = hash * 31 + frame.get(word, offset + l3 + headerLength);
        }
        return hash;
    }
}
