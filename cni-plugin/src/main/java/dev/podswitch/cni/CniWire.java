package dev.podswitch.cni;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The framing between the {@code podswitch} CNI plugin and the node agent over the agent's Unix
 * socket: one request, one response per connection. Binary and JDK-only on purpose — the plugin
 * runs once per pod start-up, so it must load as few classes as possible (no JSON library; the
 * agent parses the network config).
 *
 * <pre>
 * request:  int MAGIC, int kind, int n, n × (UTF key, UTF value), int length, length bytes (stdin)
 * response: int exit status, int length, stdout bytes, int length, stderr bytes
 * </pre>
 *
 * A CNI request's pairs are the plugin's {@code CNI_*} environment variables; a control request
 * (e.g. {@code podswitch policy apply}) names its operation in the pair {@code op}.
 *
 * <p>Both ends bound what they read before they allocate it: a request is at most
 * {@value #MAX_PAIRS} pairs of at most {@value #MAX_PAIR_BYTES} bytes together, and every body
 * (stdin, stdout, stderr) at most {@link #MAX_BODY} bytes — so one request costs the agent at most
 * about 1 MiB however it was made, and the writer refuses what the reader would refuse.
 */
public final class CniWire
{
    public static final int MAGIC = 0x50535731;
    public static final int KIND_CNI = 1;
    public static final int KIND_CONTROL = 2;
    /** Larger bodies are refused: a network config, even with a prevResult, is kilobytes. */
    public static final int MAX_BODY = 1 << 20;
    /** The plugin sends its CNI_* variables: six in the spec. */
    public static final int MAX_PAIRS = 64;
    /** Keys and values of all pairs together, as written (modified UTF-8). */
    public static final int MAX_PAIR_BYTES = 64 << 10;

    private CniWire()
    {
    }

    /** A request as read by the agent. */
    public record Request(int kind, Map<String, String> pairs, byte[] body)
    {
    }

    /** A response as read by the client: what the plugin exits with and prints. */
    public record Response(int exitStatus, byte[] stdout, byte[] stderr)
    {
    }

    /** Why the reader would refuse this request, or null: for the writer to say so before it sends anything. */
    public static String requestProblem(final Map<String, String> pairs, final byte[] body)
    {
        if (pairs.size() > MAX_PAIRS)
        {
            return pairs.size() + " variables, more than " + MAX_PAIRS;
        }
        long pairBytes = 0;
        for (final Map.Entry<String, String> pair : pairs.entrySet())
        {
            pairBytes += utfLength(pair.getKey()) + utfLength(pair.getValue());
        }
        if (pairBytes > MAX_PAIR_BYTES)
        {
            return "the variables take " + pairBytes + " bytes, more than " + MAX_PAIR_BYTES;
        }
        if (body.length > MAX_BODY)
        {
            return "stdin holds " + body.length + " bytes, more than " + MAX_BODY;
        }
        return null;
    }

    /** @throws IOException when the reader would refuse the request ({@link #requestProblem}); nothing is written then. */
    public static void writeRequest(final DataOutputStream out, final int kind, final Map<String, String> pairs,
        final byte[] body) throws IOException
    {
        final String problem = requestProblem(pairs, body);
        if (problem != null)
        {
            throw new IOException("request refused before sending: " + problem);
        }
        out.writeInt(MAGIC);
        out.writeInt(kind);
        out.writeInt(pairs.size());
        for (final Map.Entry<String, String> pair : pairs.entrySet())
        {
            out.writeUTF(pair.getKey());
            out.writeUTF(pair.getValue());
        }
        out.writeInt(body.length);
        out.write(body);
        out.flush();
    }

    /** @throws IOException when the bytes are not a request (wrong magic, absurd sizes) or end early. */
    public static Request readRequest(final DataInputStream in) throws IOException
    {
        if (in.readInt() != MAGIC)
        {
            throw new IOException("not a podswitch plugin request (bad magic)");
        }
        final int kind = in.readInt();
        final int count = in.readInt();
        if (count < 0 || count > MAX_PAIRS)
        {
            throw new IOException("request with " + count + " parameters (at most " + MAX_PAIRS + ")");
        }
        final Map<String, String> pairs = new LinkedHashMap<>();
        final int[] budget = {MAX_PAIR_BYTES};
        for (int i = 0; i < count; i++)
        {
            pairs.put(readUtf(in, budget), readUtf(in, budget));
        }
        return new Request(kind, pairs, readBody(in));
    }

    /** {@link DataInputStream#readUTF}, with its length checked against what is left of {@code budget} before reading. */
    private static String readUtf(final DataInputStream in, final int[] budget) throws IOException
    {
        final int length = in.readUnsignedShort();
        if (length > budget[0])
        {
            throw new IOException("request parameters longer than " + MAX_PAIR_BYTES + " bytes in all");
        }
        budget[0] -= length;
        final byte[] encoded = new byte[2 + length];
        encoded[0] = (byte)(length >>> 8);
        encoded[1] = (byte)length;
        in.readFully(encoded, 2, length);
        return new DataInputStream(new ByteArrayInputStream(encoded)).readUTF();
    }

    /** The bytes {@link DataOutputStream#writeUTF} writes for {@code text}, without its length prefix. */
    private static long utfLength(final String text)
    {
        long length = 0;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            length += c >= 0x0001 && c <= 0x007F ? 1 : c <= 0x07FF ? 2 : 3;
        }
        return length;
    }

    /** @throws IOException when stdout or stderr is larger than {@link #MAX_BODY}; nothing is written then. */
    public static void writeResponse(final DataOutputStream out, final int exitStatus, final byte[] stdout,
        final byte[] stderr) throws IOException
    {
        if (stdout.length > MAX_BODY || stderr.length > MAX_BODY)
        {
            throw new IOException("response of " + stdout.length + " + " + stderr.length + " bytes, more than "
                + MAX_BODY + " each");
        }
        out.writeInt(exitStatus);
        out.writeInt(stdout.length);
        out.write(stdout);
        out.writeInt(stderr.length);
        out.write(stderr);
        out.flush();
    }

    public static Response readResponse(final DataInputStream in) throws IOException
    {
        final int exitStatus = in.readInt();
        return new Response(exitStatus, readBody(in), readBody(in));
    }

    private static byte[] readBody(final DataInputStream in) throws IOException
    {
        final int length = in.readInt();
        if (length < 0 || length > MAX_BODY)
        {
            throw new IOException("body of " + length + " bytes (at most " + MAX_BODY + ")");
        }
        final byte[] body = new byte[length];
        in.readFully(body);
        return body;
    }
}
