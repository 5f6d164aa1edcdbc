package dev.podswitch.scenarios.capture;

import dev.podswitch.dataplane.capture.CaptureQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The one pcap writer, with its writer thread: everything queued reaches the file in order, with
 * its timestamp, and {@link PcapCapture#close} leaves a complete file — checked by a pcap reader
 * written here from the format's definition (not pcap4j reading back what pcap4j wrote) and, when
 * installed, by tshark. A producer that outruns the writer through the mirror loses frames only
 * as counted drops. Needs libpcap (Debian libpcap0.8): skips without it, fails under CI=true.
 */
class PcapCaptureTest
{
    private static final int PCAP_HEADER_LENGTH = 24;
    private static final int RECORD_HEADER_LENGTH = 16;
    /** 2024-03-01T12:00:00.123456789Z, in nanoseconds since the epoch. */
    private static final long EPOCH_NS = 1_709_294_400_123_456_789L;

    /** One record as the file holds it. */
    private record PcapRecord(long seconds, long microseconds, int capturedLength, int length, byte[] bytes)
    {
    }

    @Test
    void shouldWriteEveryQueuedFrameInOrderWithItsTimestampAndCloseTheFileCompletely(@TempDir final Path directory)
        throws Exception
    {
        final Path file = directory.resolve("all.pcap");
        final PcapCapture capture = start(file, new CaptureQueue(CaptureQueue.MIN_CAPACITY), 1_000);
        final int frames = 3_000;
        long expectedSize = PCAP_HEADER_LENGTH;
        for (int i = 0; i < frames; i++)
        {
            final byte[] frame = frame(i, 60 + (i * 389) % 9_000);
            // A producer that may wait, as the capture client is: a full queue is retried, so nothing is lost
            // (a 64 KiB ring and 9 KB frames: the writer thread falls behind now and then).
            while (!capture.queue().offer(false, MemorySegment.ofArray(frame), 0, frame.length, 0, EPOCH_NS + i * 1_000L))
            {
                LockSupport.parkNanos(10_000);
            }
            expectedSize += RECORD_HEADER_LENGTH + frame.length;
        }
        capture.close();

        assertFalse(capture.isWriting());
        assertEquals(frames, capture.written());
        assertEquals(expectedSize, Files.size(file), "every record whole, nothing after: the file was closed completely");
        final List<PcapRecord> records = read(file);
        assertEquals(frames, records.size());
        for (int i = 0; i < frames; i++)
        {
            final PcapRecord record = records.get(i);
            final byte[] frame = frame(i, 60 + (i * 389) % 9_000);
            assertArrayEquals(frame, record.bytes(), "frame " + i);
            assertEquals(frame.length, record.capturedLength());
            assertEquals(frame.length, record.length());
            // The epoch offset (1,000 ns) is added; the file keeps microseconds.
            final long epochNs = EPOCH_NS + i * 1_000L + 1_000;
            assertEquals(epochNs / 1_000_000_000L, record.seconds(), "seconds of frame " + i);
            assertEquals(epochNs % 1_000_000_000L / 1_000, record.microseconds(), "microseconds of frame " + i);
        }
        final List<String> lengths = tshark(file, "frame.len");
        if (lengths != null)
        {
            assertEquals(frames, lengths.size(), "tshark reads every frame");
            assertEquals(String.valueOf(frame(0, 60).length), lengths.getFirst());
        }
    }

    @Test
    void shouldLoseFramesOnlyAsCountedDropsWhenThePipelineOutrunsTheWriter(@TempDir final Path directory)
        throws Exception
    {
        final Path file = directory.resolve("burst.pcap");
        final CaptureQueue queue = new CaptureQueue(CaptureQueue.MIN_CAPACITY);
        final PcapCapture capture = start(file, queue, 0);
        final int frames = 5_000;
        final byte[] frame = new byte[9_000];
        final MemorySegment segment = MemorySegment.ofArray(frame);
        for (int i = 0; i < frames; i++)
        {
            // The frame's number in its first bytes: the file shows which ones were kept.
            ByteBuffer.wrap(frame).putInt(0, i);
            queue.transmitted(segment, 0, frame.length, EPOCH_NS + i);
        }
        capture.close();

        assertEquals(frames, queue.queued() + queue.dropped(), "every mirrored frame was queued or counted as dropped");
        assertEquals(queue.queued(), capture.written(), "every queued frame was written");
        final List<PcapRecord> records = read(file);
        assertEquals(queue.queued(), records.size());
        int previous = -1;
        for (final PcapRecord record : records)
        {
            final int number = ByteBuffer.wrap(record.bytes()).getInt(0);
            assertTrue(number > previous, "frame " + number + " after " + previous + ": order kept");
            previous = number;
        }
    }

    @Test
    void shouldSayItCannotWriteAFileInADirectoryThatDoesNotExist(@TempDir final Path directory) throws Exception
    {
        requireLibpcap(directory);
        final Path file = directory.resolve("none").resolve("x.pcap");
        final IOException error = assertThrows(IOException.class,
            () -> PcapCapture.start(file, new CaptureQueue(CaptureQueue.MIN_CAPACITY), 0));
        assertTrue(error.getMessage().startsWith("cannot write " + file + ": "), error.getMessage());
    }

    private static PcapCapture start(final Path file, final CaptureQueue queue, final long epochOffsetNs)
        throws IOException
    {
        requireLibpcap(file.getParent());
        return PcapCapture.start(file, queue, epochOffsetNs);
    }

    private static void requireLibpcap(final Path directory) throws IOException
    {
        try
        {
            PcapCapture.start(directory.resolve("probe.pcap"), new CaptureQueue(CaptureQueue.MIN_CAPACITY), 0).close();
            Files.delete(directory.resolve("probe.pcap"));
        }
        catch (final IOException missing)
        {
            if ("true".equals(System.getenv("CI")))
            {
                throw missing;
            }
            assumeTrue(false, "libpcap is not installed (apt-get install libpcap0.8): " + missing.getMessage());
        }
    }

    /** A classic pcap file: little-endian, microseconds, version 2.4, Ethernet, snap length 262,144. */
    private static List<PcapRecord> read(final Path file) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, bytes.getInt(), "magic: microsecond timestamps, this machine's byte order");
        assertEquals(2, bytes.getShort());
        assertEquals(4, bytes.getShort());
        assertEquals(0, bytes.getInt(), "thiszone");
        assertEquals(0, bytes.getInt(), "sigfigs");
        assertEquals(CaptureQueue.SNAPLEN, bytes.getInt(), "snap length");
        assertEquals(1, bytes.getInt(), "link type Ethernet");
        final List<PcapRecord> records = new ArrayList<>();
        while (bytes.hasRemaining())
        {
            assertTrue(bytes.remaining() >= RECORD_HEADER_LENGTH, "a whole record header");
            final long seconds = Integer.toUnsignedLong(bytes.getInt());
            final long microseconds = Integer.toUnsignedLong(bytes.getInt());
            final int capturedLength = bytes.getInt();
            final int length = bytes.getInt();
            assertTrue(capturedLength <= bytes.remaining(), "a whole frame");
            final byte[] frame = new byte[capturedLength];
            bytes.get(frame);
            records.add(new PcapRecord(seconds, microseconds, capturedLength, length, frame));
        }
        return records;
    }

    /** tshark's reading of one field per frame, or null when tshark is not installed (CI=true needs it). */
    private static List<String> tshark(final Path file, final String field) throws IOException, InterruptedException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e", field).start();
        }
        catch (final IOException missing)
        {
            if ("true".equals(System.getenv("CI")))
            {
                throw new AssertionError("tshark is required under CI=true", missing);
            }
            return null;
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, process.exitValue(), "tshark failed: " + errors);
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    private static byte[] frame(final int seed, final int length)
    {
        final byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(seed * 31 + i);
        }
        return frame;
    }
}
