package dev.podswitch.scenarios.capture;

import dev.podswitch.dataplane.capture.CaptureQueue;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The one way podswitch writes a pcap file: a writer thread that drains a {@link CaptureQueue}
 * and writes each frame with pcap4j's {@link PcapDumper} (libpcap through JNA; Debian
 * {@code libpcap0.8}). {@code run --capture} installs the queue as a node's mirror, so the
 * pipeline copies frames in and this thread writes them out; {@code podswitch capture} feeds the
 * queue from the lab's socket (the lab's own pipeline mirrored into a queue of its own). The file:
 * classic pcap, link type Ethernet, microsecond timestamps, snap length {@link CaptureQueue#SNAPLEN}.
 *
 * <p>Why in {@code scenarios}: the queue is in {@code switch}, and the data plane must not depend
 * on the pcap library; the agent only streams a live capture's frames to its client, needs no pcap
 * file and must not depend on {@code scenarios}. This is the lowest module both writers reach —
 * {@code run --capture} here, {@code podswitch capture} in {@code cli} above — and nothing else in
 * podswitch imports pcap4j.
 *
 * <p>Threads and lifecycle: {@link #start} opens the file and starts the writer thread, which alone
 * touches the dumper. {@link #close} — after the producer has stopped — lets the thread write what
 * is queued, flush and close the file, and waits for it. Off the pipeline, the writer allocates
 * per frame: pcap4j's {@code dumpRaw} takes an exact-length {@code byte[]} and builds its record
 * header per call. A write error (disk full) stops the thread — the queue then fills and drops
 * and counts, never blocking the switch — and {@link #close} reports it.
 */
public final class PcapCapture implements AutoCloseable, CaptureQueue.RecordHandler
{
    private static final int DRAIN_LIMIT = 256;
    private static final long IDLE_PARK_NS = 1_000_000;
    /** Written frames reach the file within this long, so tshark can read a capture that still runs. */
    private static final long FLUSH_INTERVAL_NS = 200_000_000L;

    private final Path file;
    private final CaptureQueue queue;
    private final long epochOffsetNs;
    private final PcapHandle handle;
    private final PcapDumper dumper;
    private final Timestamp timestamp = new Timestamp(0);
    private final AtomicLong written = new AtomicLong();
    private final Thread thread;
    private volatile boolean closing;
    private volatile Throwable failure;
    private long handed;

    private PcapCapture(final Path file, final CaptureQueue queue, final long epochOffsetNs, final PcapHandle handle,
        final PcapDumper dumper)
    {
        this.file = file;
        this.queue = queue;
        this.epochOffsetNs = epochOffsetNs;
        this.handle = handle;
        this.dumper = dumper;
        this.thread = Thread.ofPlatform().daemon(true).name("psw-pcap-" + file.getFileName()).unstarted(this::run);
    }

    /**
     * Opens {@code file} (replacing it) and starts writing what {@code queue} holds.
     *
     * @param epochOffsetNs added to a record's timestamp to make it nanoseconds since the epoch:
     *                      {@link CaptureQueue#epochOffsetNs()} for the pipeline's clock, 0 when the
     *                      producer stamps epoch time already.
     * @throws IOException when libpcap cannot be loaded or the file cannot be written; the message
     *                     says which, for the user.
     */
    public static PcapCapture start(final Path file, final CaptureQueue queue, final long epochOffsetNs)
        throws IOException
    {
        final PcapHandle handle;
        try
        {
            handle = Pcaps.openDead(DataLinkType.EN10MB, CaptureQueue.SNAPLEN);
        }
        catch (final PcapNativeException | LinkageError | RuntimeException missing)
        {
            throw new IOException("cannot load libpcap to write the pcap file (install it: apt-get install "
                + "libpcap0.8): " + missing.getMessage(), missing);
        }
        final PcapDumper dumper;
        try
        {
            dumper = handle.dumpOpen(file.toString());
        }
        catch (final PcapNativeException | NotOpenException failed)
        {
            handle.close();
            throw new IOException("cannot write " + file + ": " + failed.getMessage(), failed);
        }
        final PcapCapture capture = new PcapCapture(file, queue, epochOffsetNs, handle, dumper);
        capture.thread.start();
        return capture;
    }

    public Path file()
    {
        return file;
    }

    /** What the producer copies frames into. */
    public CaptureQueue queue()
    {
        return queue;
    }

    /** Frames written to the file so far (the last ones may still be in libpcap's buffer until a flush). */
    public long written()
    {
        return written.get();
    }

    /** Whether the writer thread still drains the queue: false once closed or after a write error. */
    public boolean isWriting()
    {
        return thread.isAlive() && failure == null;
    }

    /**
     * Stops the writer once it has written every frame queued before this call, then flushes and
     * closes the file; call it once the producer has stopped (a mirror removed, a node idle).
     *
     * @throws IOException when a write failed: the file holds the frames before the failure.
     */
    @Override
    public void close() throws IOException
    {
        closing = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException again)
            {
                // The file must be complete before close returns: wait on, and keep the interrupt.
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        final Throwable failed = failure;
        if (failed != null)
        {
            throw new IOException("writing " + file + " failed: " + failed.getMessage(), failed);
        }
    }

    private void run()
    {
        try
        {
            long lastFlushNs = System.nanoTime();
            boolean unflushed = false;
            while (!closing)
            {
                final int count = queue.drain(this, DRAIN_LIMIT);
                unflushed |= count > 0;
                final long nowNs = System.nanoTime();
                if (unflushed && count < DRAIN_LIMIT && nowNs - lastFlushNs >= FLUSH_INTERVAL_NS)
                {
                    dumper.flush();
                    unflushed = false;
                    lastFlushNs = nowNs;
                }
                if (count == 0)
                {
                    LockSupport.parkNanos(IDLE_PARK_NS);
                }
            }
            // Closing: the producer has stopped, so what it queued is bounded; write all of it.
            final long queued = queue.queued();
            while (handed < queued && queue.drain(this, DRAIN_LIMIT) > 0)
            {
                // until everything queued before close is in the file
            }
            dumper.flush();
        }
        catch (final PcapNativeException | NotOpenException | RuntimeException | Error writeFailed)
        {
            failure = writeFailed;
        }
        finally
        {
            // close() is pcap_dump_close: it flushes what libpcap still buffers and closes the file.
            dumper.close();
            handle.close();
        }
    }

    @Override
    public void onFrame(final boolean transmitted, final MemorySegment ring, final long offset, final int length,
        final long timestampNs, final int tunnelSourceIp)
    {
        handed++;
        final byte[] frame = new byte[length];
        MemorySegment.copy(ring, ValueLayout.JAVA_BYTE, offset, frame, 0, length);
        final long epochNs = timestampNs + epochOffsetNs;
        timestamp.setTime(Math.floorDiv(epochNs, 1_000_000L));
        timestamp.setNanos((int)Math.floorMod(epochNs, 1_000_000_000L));
        try
        {
            dumper.dumpRaw(frame, timestamp);
        }
        catch (final NotOpenException closed)
        {
            throw new IllegalStateException("the pcap dumper of " + file + " is closed", closed);
        }
        written.setRelease(written.get() + 1);
    }
}
