package dev.podswitch.cli;

import dev.podswitch.agent.capture.CaptureProtocol;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.util.Closeables;
import dev.podswitch.dataplane.capture.CaptureQueue;
import dev.podswitch.scenarios.capture.PcapCapture;
import dev.podswitch.scenarios.live.LabStateFile;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

// Over 400 lines, on purpose: one capture's whole life — connect, request, receive bounded records,
// report progress, end and sum up — runs on two threads that share its ending; split, that state
// would have to travel between files. Finding the lab or daemon is CaptureEndpoints'.
/**
 * {@code podswitch capture}: finds the running {@code podswitch up} lab from its state file, asks
 * its capture socket ({@link CaptureServer}) for one port's frames and writes them to a pcap file
 * through {@link PcapCapture} — the writer {@code run --capture} uses — in the caller's own
 * directory with the caller's own permissions. Prints the frames written every second and a
 * summary at the end; ends on a frame count, a duration, {@link #stop} (Ctrl-C), or when the lab
 * stops — always closing the file cleanly.
 *
 * <p>The thread of {@link #run} reads the socket into one preallocated frame buffer (a record
 * longer than the protocol's bound ends the capture instead of sizing an allocation) and copies
 * each frame into the writer's queue. Unlike the lab's pipeline it may wait when that queue is
 * full: the socket then backs up, and the lab's own queue drops and counts ("could not queue").
 */
public final class CaptureClient
{
    private static final long PROGRESS_INTERVAL_MS = 1_000;
    /** How long the reader waits before it offers a frame to a full writer queue again. */
    private static final long QUEUE_FULL_PARK_NS = 100_000;

    /** What to capture and until when; {@code count} 0 and {@code duration} null mean no limit. */
    /**
     * @param socket the capture socket a daemon's status named (an agent's), or null to find an
     *               {@code up} lab by its state file in {@code stateDirectory} ({@code pid} when several run).
     */
    public record Options(boolean tunnel, String name, Path file, long count, Duration duration, Path stateDirectory,
        Long pid, Path socket)
    {
        public String target()
        {
            return tunnel ? "the tunnel port of " + name : name;
        }
    }

    /** Why a capture ended. */
    public enum Ending
    {
        COUNT("the frame count was reached"),
        DURATION("the duration was up"),
        STOPPED("stopped (Ctrl-C or a signal)"),
        LAB_STOPPED("the lab stopped"),
        UNREADABLE("the lab sent a record this podswitch cannot read"),
        WRITE_FAILED("writing the file failed");

        private final String text;

        Ending(final String text)
        {
            this.text = text;
        }

        public String text()
        {
            return text;
        }
    }

    public record Summary(String target, String port, Path file, long written, long notQueued, Ending ending)
    {
    }

    /** A capture that could not start (no lab, unknown pod, …): the message is for the user. */
    public static final class CaptureException extends RuntimeException
    {
        public CaptureException(final String message)
        {
            super(message);
        }

        public CaptureException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    private final Options options;
    private final PrintStream err;
    private final boolean terminal;
    private final CountDownLatch capturing = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    private final AtomicLong notQueued = new AtomicLong();
    private volatile SocketChannel channel;
    private volatile PcapCapture capture;
    private volatile boolean started;

    public CaptureClient(final Options options, final PrintStream err, final boolean terminal)
    {
        this.options = options;
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * Captures until a limit, {@link #stop}, or the lab's end; prints the summary before returning.
     *
     * @throws CaptureException when the capture cannot start; nothing is written then.
     */
    public Summary run()
    {
        try
        {
            return capture();
        }
        finally
        {
            capturing.countDown();
            done.countDown();
        }
    }

    /** Ends the capture from another thread (Ctrl-C): the file is flushed and closed. */
    public void stop()
    {
        stop(Ending.STOPPED);
    }

    /** True once the lab accepted the request and frames are being written. */
    public boolean awaitCapturing(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return capturing.await(timeout, unit) && started;
    }

    /** Frames written to the file so far. */
    public long written()
    {
        final PcapCapture writing = capture;
        return writing == null ? 0 : writing.written();
    }

    public boolean awaitDone(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return done.await(timeout, unit);
    }

    private void stop(final Ending why)
    {
        ending.compareAndSet(null, why);
        Closeables.closeQuietly(channel);
    }

    private Summary capture()
    {
        final LabStateFile lab = options.socket() != null
            ? new LabStateFile(0, "the daemon", List.of(), options.socket().toString())
            : CaptureEndpoints.findLab(options.stateDirectory(), options.pid());
        final Path directory = options.file().toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory))
        {
            throw new CaptureException("cannot write " + options.file() + ": no directory " + directory);
        }
        final SocketChannel connected = CaptureEndpoints.connect(lab);
        channel = connected;
        if (ending.get() != null)
        {
            Closeables.closeQuietly(connected);
            throw new CaptureException("stopped before the capture started");
        }
        final String port;
        try
        {
            port = request(connected, lab);
        }
        catch (final RuntimeException failed)
        {
            Closeables.closeQuietly(connected);
            throw failed;
        }
        final PcapCapture writer;
        try
        {
            // The records carry epoch time already: no clock offset.
            writer = PcapCapture.start(options.file(), new CaptureQueue(), 0);
        }
        catch (final IOException failed)
        {
            Closeables.closeQuietly(connected);
            throw new CaptureException(failed.getMessage(), failed);
        }
        capture = writer;
        err.println("podswitch: capturing " + options.target() + " (port " + port + ") into " + options.file()
            + (options.count() > 0 ? ", " + options.count() + " frames" : "")
            + (options.duration() != null ? ", for " + seconds(options.duration()) : "")
            + "; Ctrl-C to stop");
        started = true;
        capturing.countDown();
        final Thread progress = Thread.ofPlatform().daemon(true).name("psw-capture-progress").start(this::progress);
        try
        {
            receive(connected, writer);
        }
        finally
        {
            ending.compareAndSet(null, Ending.LAB_STOPPED);
            Closeables.closeQuietly(connected);
            progress.interrupt();
            try
            {
                progress.join(2_000);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
            try
            {
                writer.close();
            }
            catch (final IOException writeFailed)
            {
                err.println("podswitch: capture: " + writeFailed.getMessage());
                ending.set(Ending.WRITE_FAILED);
            }
        }
        final Summary summary = new Summary(options.target(), port, options.file(), writer.written(), notQueued.get(),
            ending.get());
        if (terminal)
        {
            err.println();
        }
        err.println("podswitch: capture of " + summary.target() + " (port " + port + ") ended: " + summary.ending().text());
        err.println("  frames written to " + options.file() + ": " + summary.written());
        err.println("  frames the switch could not queue for the capture: " + summary.notQueued()
            + (summary.notQueued() > 0 ? " (the capture was too slow for the traffic; they are missing from the file)"
                : ""));
        err.flush();
        return summary;
    }

    /** Sends the request; returns what the lab answered after "ok" (the port and its node). */
    private String request(final SocketChannel connected, final LabStateFile lab)
    {
        final String line = options.tunnel() ? CaptureProtocol.tunnelRequest(options.name())
            : CaptureProtocol.podRequest(options.name());
        final String answer;
        try
        {
            final ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining())
            {
                connected.write(bytes);
            }
            answer = CaptureProtocol.readLine(connected);
        }
        catch (final IOException failed)
        {
            throw new CaptureException("the lab of pid " + lab.pid() + " did not answer: " + failed.getMessage(), failed);
        }
        if (answer == null)
        {
            throw new CaptureException("the lab of pid " + lab.pid() + " closed the connection without an answer");
        }
        if (answer.startsWith(CaptureProtocol.ERROR + " "))
        {
            throw new CaptureException(answer.substring(CaptureProtocol.ERROR.length() + 1));
        }
        if (!answer.startsWith(CaptureProtocol.OK + " "))
        {
            throw new CaptureException("the lab of pid " + lab.pid() + " answered something unexpected: " + answer);
        }
        return answer.substring(CaptureProtocol.OK.length() + 1);
    }

    /**
     * Reads records into the writer's queue until EOF, an end record, the count, the channel closed
     * under it, a record it cannot read, or the writer failing.
     */
    private void receive(final SocketChannel connected, final PcapCapture writer)
    {
        final DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(connected),
            1 << 16));
        final byte[] frame = new byte[CaptureProtocol.MAX_FRAME_LENGTH];
        final MemorySegment frameSegment = MemorySegment.ofArray(frame);
        long queued = 0;
        try
        {
            while (ending.get() == null)
            {
                final int type = in.read();
                if (type < 0)
                {
                    return;
                }
                switch (type)
                {
                    case CaptureProtocol.FRAME ->
                    {
                        final long epochNs = in.readLong();
                        final int length = boundedLength(in.readInt(), CaptureProtocol.MAX_FRAME_LENGTH, "a frame");
                        in.readFully(frame, 0, length);
                        if (!queue(writer, frameSegment, length, epochNs))
                        {
                            return;
                        }
                        if (++queued == options.count())
                        {
                            stop(Ending.COUNT);
                        }
                    }
                    case CaptureProtocol.STATS ->
                    {
                        in.readLong();
                        notQueued.set(in.readLong());
                    }
                    case CaptureProtocol.END ->
                    {
                        in.skipNBytes(boundedLength(in.readInt(), CaptureProtocol.MAX_LINE, "the end reason"));
                        stop(Ending.LAB_STOPPED);
                    }
                    default -> throw new UnreadableRecordException("a record of unknown type " + type);
                }
            }
        }
        catch (final UnreadableRecordException unreadable)
        {
            err.println("podswitch: capture: the lab sent " + unreadable.getMessage() + "; the capture ends here "
                + "(are up and capture the same podswitch version?)");
            ending.compareAndSet(null, Ending.UNREADABLE);
        }
        catch (final EOFException labGone)
        {
            // The lab went away mid-record: what was written stays.
        }
        catch (final IOException closed)
        {
            // stop() closed the channel (Ctrl-C, duration), or the lab went away.
        }
    }

    private static int boundedLength(final int length, final int max, final String what)
        throws UnreadableRecordException
    {
        if (length < 0 || length > max)
        {
            throw new UnreadableRecordException(what + " of " + length + " bytes, more than the " + max
                + " the protocol allows");
        }
        return length;
    }

    /**
     * Copies a frame into the writer's queue, waiting while it is full (the writer catches up;
     * meanwhile the socket backs up). False when the writer stopped on an error or the capture ends.
     */
    private boolean queue(final PcapCapture writer, final MemorySegment frame, final int length, final long epochNs)
    {
        while (!writer.queue().offer(false, frame, 0, length, 0, epochNs))
        {
            if (!writer.isWriting())
            {
                ending.compareAndSet(null, Ending.WRITE_FAILED);
                return false;
            }
            if (ending.get() != null)
            {
                return false;
            }
            LockSupport.parkNanos(QUEUE_FULL_PARK_NS);
        }
        return true;
    }

    /** Prints the count every second; ends the capture when the duration is up. */
    private void progress()
    {
        final long deadline = options.duration() == null ? Long.MAX_VALUE
            : System.nanoTime() + options.duration().toNanos();
        while (ending.get() == null)
        {
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                stop(Ending.DURATION);
                return;
            }
            try
            {
                Thread.sleep(Math.min(PROGRESS_INTERVAL_MS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            }
            catch (final InterruptedException ended)
            {
                return;
            }
            if (ending.get() == null)
            {
                final long missing = notQueued.get();
                final String text = "podswitch: capture: " + written() + " frames written"
                    + (missing > 0 ? ", " + missing + " the switch could not queue" : "");
                if (terminal)
                {
                    err.print("\r" + text + "   ");
                }
                else
                {
                    err.println(text);
                }
                err.flush();
            }
        }
    }

    private static String seconds(final Duration duration)
    {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s"
            : String.format(Locale.ROOT, "%.3f s", duration.toMillis() / 1000.0);
    }

    /** A record the protocol does not allow: the capture ends rather than trust its length or type. */
    private static final class UnreadableRecordException extends IOException
    {
        UnreadableRecordException(final String message)
        {
            super(message);
        }
    }
}
