package dev.podswitch.cli;

import dev.podswitch.agent.capture.CaptureProtocol;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.scenarios.live.LabStateFile;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code podswitch capture}: finds the running {@code podswitch up} lab from its state file, asks
 * its capture socket ({@link CaptureServer}) for one port's frames and writes them to a pcap file
 * with pcap4j (libpcap), in the caller's own directory with the caller's own permissions. Prints
 * the frames written every second and a summary at the end; ends on a frame count, a duration,
 * {@link #stop} (Ctrl-C), or when the lab stops — always closing the file cleanly.
 */
public final class CaptureClient
{
    private static final long PROGRESS_INTERVAL_MS = 1_000;
    private static final long FLUSH_INTERVAL_NS = 1_000_000_000L;

    /** What to capture and until when; {@code count} 0 and {@code duration} null mean no limit. */
    public record Options(boolean tunnel, String name, Path file, long count, Duration duration, Path stateDirectory,
        Long pid)
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
        LAB_STOPPED("the lab stopped");

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
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong notQueued = new AtomicLong();
    private volatile SocketChannel channel;
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
        return written.get();
    }

    public boolean awaitDone(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return done.await(timeout, unit);
    }

    private void stop(final Ending why)
    {
        ending.compareAndSet(null, why);
        closeQuietly(channel);
    }

    private Summary capture()
    {
        final LabStateFile lab = findLab(options.stateDirectory(), options.pid());
        final Path directory = options.file().toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory))
        {
            throw new CaptureException("cannot write " + options.file() + ": no directory " + directory);
        }
        final SocketChannel connected = connect(lab);
        channel = connected;
        if (ending.get() != null)
        {
            closeQuietly(connected);
            throw new CaptureException("stopped before the capture started");
        }
        final String port;
        try
        {
            port = request(connected, lab);
        }
        catch (final RuntimeException failed)
        {
            closeQuietly(connected);
            throw failed;
        }
        final PcapHandle handle;
        final PcapDumper dumper;
        try
        {
            handle = Pcaps.openDead(DataLinkType.EN10MB, CaptureProtocol.SNAPLEN);
        }
        catch (final PcapNativeException | LinkageError | RuntimeException missing)
        {
            closeQuietly(connected);
            throw new CaptureException("cannot load libpcap to write the pcap file (install it: apt-get install "
                + "libpcap0.8): " + missing.getMessage(), missing);
        }
        try
        {
            dumper = handle.dumpOpen(options.file().toString());
        }
        catch (final PcapNativeException | NotOpenException failed)
        {
            handle.close();
            closeQuietly(connected);
            throw new CaptureException("cannot write " + options.file() + ": " + failed.getMessage(), failed);
        }
        err.println("podswitch: capturing " + options.target() + " (port " + port + ") into " + options.file()
            + (options.count() > 0 ? ", " + options.count() + " frames" : "")
            + (options.duration() != null ? ", for " + seconds(options.duration()) : "")
            + "; Ctrl-C to stop");
        started = true;
        capturing.countDown();
        final Thread progress = Thread.ofPlatform().daemon(true).name("psw-capture-progress").start(this::progress);
        try
        {
            receive(connected, dumper);
        }
        finally
        {
            ending.compareAndSet(null, Ending.LAB_STOPPED);
            closeQuietly(connected);
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
                dumper.flush();
            }
            catch (final PcapNativeException | NotOpenException ignored)
            {
                // close() below flushes too.
            }
            dumper.close();
            handle.close();
        }
        final Summary summary = new Summary(options.target(), port, options.file(), written.get(), notQueued.get(),
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

    /** The single running lab of the state directory (or the one of {@code pid}), with a capture socket. */
    public static LabStateFile findLab(final Path stateDirectory, final Long pid)
    {
        final List<LabStateFile> running = new ArrayList<>();
        final List<LabStateFile> stopped = new ArrayList<>();
        for (final Path file : LabStateFile.list(stateDirectory))
        {
            final LabStateFile state;
            try
            {
                state = LabStateFile.parse(Files.readString(file));
            }
            catch (final IOException | UncheckedIOException unreadable)
            {
                continue;
            }
            final boolean alive = ProcessHandle.of(state.pid()).map(ProcessHandle::isAlive).orElse(false);
            (alive ? running : stopped).add(state);
        }
        if (pid != null)
        {
            return running.stream().filter(state -> state.pid() == pid).findFirst().map(CaptureClient::withSocket)
                .orElseThrow(() -> new CaptureException("no lab of pid " + pid + " is running in " + stateDirectory
                    + (running.isEmpty() ? "" : "; running labs: " + describe(running))));
        }
        if (running.isEmpty())
        {
            throw new CaptureException("no lab is running: " + (stopped.isEmpty()
                ? "no state file of `podswitch up` in " + stateDirectory
                : "the state files in " + stateDirectory + " are of labs that stopped (" + describe(stopped)
                    + "; `podswitch down` removes them)")
                + ". Start one with `podswitch up FILE` (as root), or pass the --state-dir it uses.");
        }
        if (running.size() > 1)
        {
            throw new CaptureException(running.size() + " labs are running: " + describe(running)
                + "; choose one with --pid");
        }
        return withSocket(running.getFirst());
    }

    private static LabStateFile withSocket(final LabStateFile lab)
    {
        if (lab.socket() == null)
        {
            throw new CaptureException("the lab of pid " + lab.pid() + " (" + lab.scenario() + ") has no capture socket "
                + "(it is still starting, or its podswitch has no capture); try again in a moment");
        }
        return lab;
    }

    private static String describe(final List<LabStateFile> labs)
    {
        return String.join(", ", labs.stream().map(lab -> "pid " + lab.pid() + " (" + lab.scenario() + ")").toList());
    }

    private static SocketChannel connect(final LabStateFile lab)
    {
        SocketChannel connected = null;
        try
        {
            connected = SocketChannel.open(StandardProtocolFamily.UNIX);
            connected.connect(UnixDomainSocketAddress.of(lab.socket()));
            return connected;
        }
        catch (final IOException failed)
        {
            closeQuietly(connected);
            final String why = failed.getMessage() == null ? failed.getClass().getSimpleName() : failed.getMessage();
            throw new CaptureException("cannot reach the lab of pid " + lab.pid() + " at " + lab.socket() + ": " + why
                + (why.toLowerCase(Locale.ROOT).contains("permission") ? " (run capture as the user who ran up, "
                    + "e.g. with sudo)" : ""), failed);
        }
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
            answer = CaptureServer.readLine(connected);
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

    /** Reads records until EOF, an end record, the count, or the channel closed under it. */
    private void receive(final SocketChannel connected, final PcapDumper dumper)
    {
        final DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(connected),
            1 << 16));
        long lastFlush = System.nanoTime();
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
                        final byte[] frame = new byte[in.readInt()];
                        in.readFully(frame);
                        dumper.dumpRaw(frame, timestamp(epochNs));
                        if (written.incrementAndGet() == options.count())
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
                        final byte[] why = new byte[in.readInt()];
                        in.readFully(why);
                        stop(Ending.LAB_STOPPED);
                    }
                    default -> throw new IOException("unexpected record type " + type + " from the lab");
                }
                if (System.nanoTime() - lastFlush >= FLUSH_INTERVAL_NS)
                {
                    dumper.flush();
                    lastFlush = System.nanoTime();
                }
            }
        }
        catch (final EOFException labGone)
        {
            // The lab went away mid-record: what was written stays.
        }
        catch (final IOException closed)
        {
            // stop() closed the channel (Ctrl-C, duration), or the lab went away.
        }
        catch (final NotOpenException | PcapNativeException writeFailed)
        {
            err.println("podswitch: capture: writing " + options.file() + " failed: " + writeFailed.getMessage());
            ending.compareAndSet(null, Ending.STOPPED);
        }
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
                final String text = "podswitch: capture: " + written.get() + " frames written"
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

    private static Timestamp timestamp(final long epochNs)
    {
        final Timestamp timestamp = new Timestamp(Math.floorDiv(epochNs, 1_000_000L));
        timestamp.setNanos((int)Math.floorMod(epochNs, 1_000_000_000L));
        return timestamp;
    }

    private static String seconds(final Duration duration)
    {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s"
            : String.format(Locale.ROOT, "%.3f s", duration.toMillis() / 1000.0);
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        if (channel == null)
        {
            return;
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Closing is all that was wanted.
        }
    }
}
