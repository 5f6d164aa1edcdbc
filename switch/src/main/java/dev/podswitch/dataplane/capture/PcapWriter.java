package dev.podswitch.dataplane.capture;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes Ethernet frames to a classic pcap file (the format tcpdump, Wireshark and tshark read:
 * a 24-byte file header, then a 16-byte record header before each frame, microsecond
 * timestamps). Frames go into a preallocated buffer that is written out when full, on
 * {@link #flush()} (the pipeline calls it once per batch) and on close — so capturing allocates
 * nothing per frame. Owned by the thread of the pipeline that captures; not thread-safe.
 */
public final class PcapWriter implements AutoCloseable
{
    private static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    private static final int LINKTYPE_ETHERNET = 1;
    public static final int SNAPLEN = 65535;
    private static final int RECORD_HEADER_LENGTH = 16;
    private static final int BUFFER_LENGTH = 1 << 20;

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
    /** Wall clock minus the monotonic clock at open: turns the pipeline's nowNs into a timestamp. */
    private final long wallMinusMonotonicNs;
    private long frames;
    private IOException failure;

    public PcapWriter(final Path file) throws IOException
    {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        wallMinusMonotonicNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        buffer.putInt(MAGIC_MICROSECONDS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
    }

    /** Appends one frame captured at monotonic time {@code nowNs}. */
    public void write(final MemorySegment frame, final long offset, final int length, final long nowNs)
    {
        if (failure != null)
        {
            return;
        }
        final int captured = Math.min(length, SNAPLEN);
        if (buffer.remaining() < RECORD_HEADER_LENGTH + captured)
        {
            flush();
        }
        final long wallNs = nowNs + wallMinusMonotonicNs;
        buffer.putInt((int)(wallNs / 1_000_000_000L)).putInt((int)(wallNs % 1_000_000_000L / 1_000))
            .putInt(captured).putInt(length);
        MemorySegment.copy(frame, offset, bufferSegment, buffer.position(), captured);
        buffer.position(buffer.position() + captured);
        frames++;
    }

    public long frameCount()
    {
        return frames;
    }

    /**
     * Writes out what is buffered. A write error (disk full, file gone) stops the capture — the
     * pipeline it mirrors must not fail because a capture did — and is reported by
     * {@link #failure()} and by {@link #close()}.
     */
    public void flush()
    {
        buffer.flip();
        try
        {
            while (failure == null && buffer.hasRemaining())
            {
                channel.write(buffer);
            }
        }
        catch (final IOException failed)
        {
            failure = failed;
        }
        finally
        {
            buffer.clear();
        }
    }

    /** Why the capture stopped, or null while it runs. */
    public IOException failure()
    {
        return failure;
    }

    @Override
    public void close() throws IOException
    {
        flush();
        channel.close();
        if (failure != null)
        {
            throw new IOException("the capture stopped early: " + failure.getMessage(), failure);
        }
    }
}
