package dev.podswitch.agent.capture;

import java.nio.charset.StandardCharsets;

import java.nio.channels.SocketChannel;

import java.nio.ByteBuffer;

import java.io.IOException;

import dev.podswitch.dataplane.capture.CaptureQueue;

/**
 * The wire format between {@code podswitch capture} and the {@code podswitch up} it captures in:
 * one connection per capture on the lab's Unix domain socket ({@code lab-<pid>.sock} next to its
 * state file), the capture lasting as long as the connection.
 *
 * <pre>
 * client → up:  one line (UTF-8, LF):  capture pod NS/POD  |  capture tunnel NODE
 * up → client:  one line:              ok PORT on NODE      |  error WHY
 * then, after ok, binary records (big-endian) until either side closes:
 *   'F' i64 epoch-nanoseconds  i32 length  byte[length]   a whole Ethernet frame, length <= MAX_FRAME_LENGTH
 *   'S' i64 frames-queued      i64 frames-not-queued        every second (also a heartbeat)
 *   'E' i32 length  byte[length] (UTF-8)                     the lab is stopping: why (<= MAX_LINE bytes); then EOF
 * </pre>
 */
public final class CaptureProtocol
{
    public static final String CAPTURE = "capture";
    public static final String POD = "pod";
    public static final String TUNNEL = "tunnel";
    public static final String OK = "ok";
    public static final String ERROR = "error";

    public static final byte FRAME = 'F';
    public static final byte STATS = 'S';
    public static final byte END = 'E';

    /** Longest request or answer line, and longest end reason, in bytes: a longer one is refused. */
    public static final int MAX_LINE = 4096;
    /**
     * The longest frame a frame record carries (the pcap snap length: longer frames are cut; a TCP
     * super-frame is at most 65,5xx bytes). A client refuses a longer record rather than allocate for it.
     */
    public static final int MAX_FRAME_LENGTH = CaptureQueue.SNAPLEN;
    /** How often up sends a statistics record, which also tells it when a client has gone. */
    public static final long STATS_INTERVAL_NS = 1_000_000_000L;

    private CaptureProtocol()
    {
    }

    public static String podRequest(final String pod)
    {
        return CAPTURE + " " + POD + " " + pod;
    }

    public static String tunnelRequest(final String node)
    {
        return CAPTURE + " " + TUNNEL + " " + node;
    }

    /** Writes one line (a newline inside becomes a space); false when the peer is gone. */
    public static boolean writeLine(final SocketChannel client, final String line)
    {
        try
        {
            final ByteBuffer bytes = ByteBuffer.wrap((line.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining())
            {
                client.write(bytes);
            }
            return true;
        }
        catch (final IOException gone)
        {
            return false;
        }
    }

    /** Reads one LF-terminated line byte by byte (nothing after it is consumed); null at EOF first. */
    public static String readLine(final SocketChannel channel) throws IOException
    {
        final ByteBuffer one = ByteBuffer.allocate(1);
        final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        while (true)
        {
            one.clear();
            if (channel.read(one) < 0)
            {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            final byte b = one.get(0);
            if (b == '\n')
            {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= MAX_LINE)
            {
                throw new IOException("line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
    }
}
