package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.scenarios.capture.PcapFrames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code podswitch replay}: a capture's frames injected into a running agent or {@code up} lab as if
 * a pod had sent them — yesterday's traffic against today's policy, its verdicts in the flow log
 * ({@code podswitch observe}) and the counters ({@code podswitch status}). The frames go to the
 * daemon in batches through {@code POST …/pods/{name}/replay} (bodies are bounded by the daemon's
 * {@code --api-max-body}: a batch it refuses as too large is sent again in halves), and the
 * daemon offers them to the pod's node ring with the pod's port as the input port.
 *
 * <p>Why this file is over 400 lines: reading the capture, rewriting sources, pacing to --rate and
 * sending in bounded batches (halving one the daemon refuses as too large) are one loop whose
 * state they share.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {
        "Inject a capture's frames into a running agent or `up` lab as if pod NS/NAME had sent them.",
        "",
        "Today's policy judges yesterday's traffic: the frames of an Ethernet capture (pcap or pcapng) enter the "
            + "pod's node with the pod's port as the input port; see the verdicts with "
            + "`podswitch observe --from-pod NS/NAME` and the counters with `podswitch status`.",
        "",
        "Without --rewrite-source frames go in as captured, and the anti-spoofing check drops every frame not from "
            + "the pod's own MAC and IP as SPOOFED_SOURCE: a counted outcome too (what a pod forging those addresses "
            + "would get). With --rewrite-source each frame first becomes the pod's: source MAC and IPv4 source the "
            + "pod's, destination MAC the node gateway's, IPv4, TCP and UDP checksums fixed.",
        "",
        "Frames longer than the node's ring slot, and frames the capture kept only part of (snap length), are "
            + "skipped and counted. Without --rate frames go in as fast as the node takes them; a full ring is "
            + "waited for, never a drop. Progress is shown on a terminal."})
public final class ReplayCommand implements Callable<Integer>
{
    static final String CONTENT_TYPE = "application/octet-stream";
    /** The daemon's default body limit ({@code --api-max-body}); a smaller one is found by halving on 413. */
    static final int DEFAULT_BATCH_BYTES = 1024 * 1024;
    /** With --rate, a batch holds about this long of frames, so a paced request stays short. */
    private static final long PACED_BATCH_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_RATE = 100_000_000L;
    private static final long PROGRESS_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(200);

    @Option(names = {"-r", "--read"}, required = true, paramLabel = "FILE.pcap",
        description = "The capture to replay: link type Ethernet (DLT_EN10MB), as `podswitch capture`, tcpdump -w "
            + "and tshark -w write it.")
    private Path file;

    @Option(names = "--pod", required = true, paramLabel = "NS/NAME",
        description = "The pod the frames enter as: its node's ring, its port as the input port.")
    private String pod;

    @Option(names = "--rate", paramLabel = "PPS",
        description = "Frames a second (default: as fast as the node takes them).")
    private Long rate;

    @Option(names = "--rewrite-source",
        description = "Make each frame the pod's first: source MAC and IPv4 source the pod's, destination MAC the "
            + "node gateway's, checksums fixed (else frames not from the pod's addresses are dropped as SPOOFED_SOURCE).")
    private boolean rewriteSource;

    @Mixin
    private ApiCommandSupport api;

    /** What the daemon answered, summed over the batches. */
    private long read;
    private long sent;
    private long accepted;
    private long skippedTooLong;
    private long skippedTruncated;
    private long skippedTooLargeForBody;
    private long rewritten;
    private String node;
    private Object slotBytes;
    private int batchBytes = DEFAULT_BATCH_BYTES;
    private boolean requested;
    private long startNs;

    /** A refusal from the daemon: the answer to report. */
    private static final class Refused extends Exception
    {
        private final transient ApiClient.Response response;

        Refused(final ApiClient.Response response)
        {
            super(null, null, false, false);
            this.response = response;
        }
    }

    @Override
    public Integer call()
    {
        final int slash = pod.indexOf('/');
        if (slash <= 0 || slash == pod.length() - 1 || pod.indexOf('/', slash + 1) >= 0)
        {
            System.err.println("podswitch: --pod must be NAMESPACE/NAME, not \"" + pod + "\"");
            return ApiCommandSupport.EXIT_INVALID;
        }
        if (rate != null && (rate < 1 || rate > MAX_RATE))
        {
            System.err.println("podswitch: --rate must be frames a second, from 1 to " + MAX_RATE + ", not " + rate);
            return ApiCommandSupport.EXIT_INVALID;
        }
        final boolean terminal = System.console() != null && System.console().isTerminal();
        final Progress progress;
        try
        {
            progress = terminal ? new Progress(readableFrames(file), System.err) : null;
        }
        catch (final PcapFrames.InvalidCapture invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return ApiCommandSupport.EXIT_INVALID;
        }
        try (PcapFrames frames = PcapFrames.open(file))
        {
            final ApiClient client = api.client();
            startNs = System.nanoTime();
            final long framesPerBatch = rate == null ? Long.MAX_VALUE
                : Math.max(1, rate * PACED_BATCH_NS / TimeUnit.SECONDS.toNanos(1));
            final List<byte[]> batch = new ArrayList<>();
            int bytes = 0;
            PcapFrames.Record record;
            while ((record = next(frames, client, batch, progress)) != null)
            {
                read++;
                if (record.truncated())
                {
                    skippedTruncated++;
                    continue;
                }
                final int size = ReplayBody.RECORD_HEADER_BYTES + record.frame().length;
                if (!batch.isEmpty() && bytes + size > batchBytes)
                {
                    send(client, batch, progress);
                    batch.clear();
                    bytes = 0;
                }
                batch.add(record.frame());
                bytes += size;
                if (batch.size() >= framesPerBatch)
                {
                    send(client, batch, progress);
                    batch.clear();
                    bytes = 0;
                }
            }
            if (!batch.isEmpty() || !requested)
            {
                // An empty capture still asks once: the pod must exist and have a port here.
                send(client, batch, progress);
            }
            if (progress != null)
            {
                progress.done(sent);
            }
            summary(System.out);
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final PcapFrames.InvalidCapture invalid)
        {
            endProgress(progress);
            System.err.println("podswitch: " + invalid.getMessage() + (sent > 0 ? "; the replay stopped there, "
                + accepted + " frame" + (accepted == 1 ? "" : "s") + " before it injected" : ""));
            return ApiCommandSupport.EXIT_INVALID;
        }
        catch (final Refused refused)
        {
            endProgress(progress);
            if (accepted > 0)
            {
                System.err.println("podswitch: " + accepted + " frames went in before the daemon refused a batch:");
            }
            return ApiCommandSupport.failed(refused.response, System.err);
        }
        catch (final IOException unreachable)
        {
            endProgress(progress);
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }

    /** The next frame; at damage in the file, what was read before it goes in first, then the error. */
    private PcapFrames.Record next(final PcapFrames frames, final ApiClient client, final List<byte[]> batch,
        final Progress progress) throws IOException, Refused
    {
        try
        {
            return frames.next();
        }
        catch (final PcapFrames.InvalidCapture damaged)
        {
            if (!batch.isEmpty())
            {
                send(client, batch, progress);
                batch.clear();
            }
            throw damaged;
        }
    }

    /**
     * The total for the progress line: the frames before the end or before damage, which the
     * replay itself then reports where it meets it (so a terminal changes nothing of what goes in).
     */
    private static long readableFrames(final Path file) throws PcapFrames.InvalidCapture
    {
        try (PcapFrames frames = PcapFrames.open(file))
        {
            try
            {
                while (frames.next() != null)
                {
                    // counting
                }
                return frames.count();
            }
            catch (final PcapFrames.InvalidCapture damaged)
            {
                return frames.count();
            }
        }
    }

    private static void endProgress(final Progress progress)
    {
        if (progress != null)
        {
            progress.abandon();
        }
    }

    /** Sends one batch; a batch too large for the daemon's body limit goes again in halves. */
    private void send(final ApiClient client, final List<byte[]> batch, final Progress progress)
        throws IOException, Refused
    {
        final byte[] body = ReplayBody.encode(batch);
        if (rate != null)
        {
            // Each batch starts when its first frame is due; the daemon spaces the rest.
            final long dueNs = startNs + sent * TimeUnit.SECONDS.toNanos(1) / rate;
            long leftNs;
            while ((leftNs = dueNs - System.nanoTime()) > 0)
            {
                LockSupport.parkNanos(leftNs);
            }
        }
        final ApiClient.Response response = client.sendBytes("POST", path(), body, CONTENT_TYPE);
        requested = true;
        if (response.status() == 413)
        {
            if (batch.size() <= 1)
            {
                skippedTooLargeForBody += batch.size();
                sent += batch.size();
                return;
            }
            batchBytes = Math.min(batchBytes, Math.max(ReplayBody.RECORD_HEADER_BYTES + 1, body.length / 2));
            final int half = batch.size() / 2;
            send(client, new ArrayList<>(batch.subList(0, half)), progress);
            send(client, new ArrayList<>(batch.subList(half, batch.size())), progress);
            return;
        }
        if (!response.ok())
        {
            throw new Refused(response);
        }
        sent += batch.size();
        accepted += number(response, "accepted");
        skippedTooLong += number(response, "skippedTooLong");
        rewritten += number(response, "rewritten");
        node = String.valueOf(response.body().get("node"));
        slotBytes = response.body().get("slotBytes");
        if (progress != null)
        {
            progress.show(sent);
        }
    }

    private static long number(final ApiClient.Response response, final String field)
    {
        return response.body().get(field) instanceof final Number number ? number.longValue() : 0;
    }

    private String path()
    {
        final int slash = pod.indexOf('/');
        final StringBuilder path = new StringBuilder("/apis/podswitch.dev/v1/namespaces/")
            .append(URLEncoder.encode(pod.substring(0, slash), StandardCharsets.UTF_8)).append("/pods/")
            .append(URLEncoder.encode(pod.substring(slash + 1), StandardCharsets.UTF_8)).append("/replay");
        char separator = '?';
        if (rewriteSource)
        {
            path.append(separator).append("rewriteSource=true");
            separator = '&';
        }
        if (rate != null)
        {
            path.append(separator).append("rate=").append(rate);
        }
        return path.toString();
    }

    private void summary(final PrintStream out)
    {
        out.println("podswitch: replayed " + file + " as " + pod + " on node " + node + ": " + read + " frame"
            + (read == 1 ? "" : "s") + " read, " + accepted + " injected" + (rewriteSource ? " (" + rewritten
            + " rewritten as the pod's)" : " as captured"));
        if (skippedTooLong > 0)
        {
            out.println("  " + skippedTooLong + " skipped: longer than the node's ring slot (" + slotBytes + " bytes)");
        }
        if (skippedTooLargeForBody > 0)
        {
            out.println("  " + skippedTooLargeForBody + " skipped: larger than the daemon takes in one request "
                + "(its --api-max-body)");
        }
        if (skippedTruncated > 0)
        {
            out.println("  " + skippedTruncated + " skipped: the capture kept only part of the frame (snap length)");
        }
        if (!rewriteSource)
        {
            out.println("  Frames not from " + pod + "'s own MAC and IP are dropped as SPOOFED_SOURCE; "
                + "--rewrite-source makes them the pod's.");
        }
        out.println("  See what the nodes decided: podswitch observe --from-pod " + pod + "; counters: podswitch status");
        out.flush();
    }

    /** Frames sent of the total, on one line rewritten in place (a terminal only). */
    private static final class Progress
    {
        private final long total;
        private final PrintStream err;
        private long shownNs;

        Progress(final long total, final PrintStream err)
        {
            this.total = total;
            this.err = err;
        }

        void show(final long sent)
        {
            final long nowNs = System.nanoTime();
            if (nowNs - shownNs >= PROGRESS_PERIOD_NS)
            {
                shownNs = nowNs;
                err.print("\rpodswitch: replay: " + sent + " / " + total + " frames sent");
                err.flush();
            }
        }

        void done(final long sent)
        {
            err.print("\rpodswitch: replay: " + sent + " / " + total + " frames sent\n");
            err.flush();
        }

        void abandon()
        {
            err.println();
        }
    }

    /** The replay endpoint's body: each frame as a 4-byte big-endian length and its bytes. */
    static final class ReplayBody
    {
        static final int RECORD_HEADER_BYTES = 4;

        private ReplayBody()
        {
        }

        static byte[] encode(final List<byte[]> frames)
        {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (final byte[] frame : frames)
            {
                body.writeBytes(ByteBuffer.allocate(RECORD_HEADER_BYTES).putInt(frame.length).array());
                body.writeBytes(frame);
            }
            return body.toByteArray();
        }
    }
}
