package dev.podswitch.cni;

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
 */
public final class CniWire
{
    public static final int MAGIC = 0x50535731;
    public static final int KIND_CNI = 1;
    public static final int KIND_CONTROL = 2;
    /** Larger requests are refused: a network config is kilobytes. */
    public static final int MAX_BODY = 4 << 20;

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

    public static void writeRequest(final DataOutputStream out, final int kind, final Map<String, String> pairs,
        final byte[] body) throws IOException
    {
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
        if (count < 0 || count > 1024)
        {
            throw new IOException("request with " + count + " parameters");
        }
        final Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < count; i++)
        {
            pairs.put(in.readUTF(), in.readUTF());
        }
        return new Request(kind, pairs, readBody(in));
    }

    public static void writeResponse(final DataOutputStream out, final int exitStatus, final byte[] stdout,
        final byte[] stderr) throws IOException
    {
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
            throw new IOException("body of " + length + " bytes");
        }
        final byte[] body = new byte[length];
        in.readFully(body);
        return body;
    }
}
