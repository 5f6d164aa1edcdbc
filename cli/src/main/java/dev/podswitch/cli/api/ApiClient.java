package dev.podswitch.cli.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * A client of the daemon's control API: one HTTP/1.1 request per connection, JSON in and out,
 * over the daemon's Unix socket (or a loopback TCP address with a bearer token). The JDK's
 * HttpClient cannot speak over a Unix socket, and a request is a few lines, so it is written here.
 */
public final class ApiClient
{
    /** Responses larger than this are refused: a daemon's answer is a few KiB, a hostile one could be anything. */
    static final int MAX_RESPONSE_BYTES = 64 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer: the HTTP status and the JSON body as maps. */
    public record Response(int status, Map<String, Object> body)
    {
        public boolean ok()
        {
            return status >= 200 && status < 300;
        }

        /** The error message of a {@code Status} body, with one line per cause. */
        public String errorText()
        {
            final StringBuilder text = new StringBuilder(String.valueOf(body.getOrDefault("message", "HTTP " + status)));
            if (body.get("details") instanceof final Map<?, ?> details && details.get("causes") instanceof final java.util.List<?> causes
                && causes.size() > 1)
            {
                text.setLength(0);
                for (final Object cause : causes)
                {
                    if (cause instanceof final Map<?, ?> fields)
                    {
                        text.append(text.isEmpty() ? "" : "\n").append(fields.get("object") == null ? "" : fields.get("object") + ": ")
                            .append(fields.get("field")).append(": ").append(fields.get("message"));
                    }
                }
            }
            return text.toString();
        }
    }

    /** Answers requests in this process (the API over a datastore, with no daemon in between). */
    @FunctionalInterface
    public interface Handler
    {
        Response handle(String method, String path, byte[] body) throws IOException;
    }

    private final Path socket;
    private final InetSocketAddress tcp;
    private final String token;
    private final Handler handler;
    private final String description;

    private ApiClient(final Path socket, final InetSocketAddress tcp, final String token, final Handler handler,
        final String description)
    {
        this.socket = socket;
        this.tcp = tcp;
        this.token = token;
        this.handler = handler;
        this.description = description;
    }

    /** A client whose requests {@code handler} answers in this process. */
    public static ApiClient inProcess(final String description, final Handler handler)
    {
        return new ApiClient(null, null, null, handler, description);
    }

    public static ApiClient overSocket(final Path socket)
    {
        return new ApiClient(socket, null, null, null, null);
    }

    public static ApiClient overTcp(final InetSocketAddress address, final String token)
    {
        return new ApiClient(null, address, token, null, null);
    }

    public String describe()
    {
        return handler != null ? description : socket != null ? socket.toString() : tcp.toString();
    }

    public Response get(final String path) throws IOException
    {
        return send("GET", path, null);
    }

    public Response send(final String method, final String path, final Object body) throws IOException
    {
        final byte[] content = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
        return exchange(method, path, content, method.equals("PATCH") ? "application/merge-patch+json" : "application/json");
    }

    /**
     * A request whose body is {@code content} as it is, of {@code contentType} (a replay's frames:
     * application/octet-stream); the answer is JSON as ever. A daemon that refuses a body before
     * reading it all (413) may close while it is still being written: its answer is read anyway.
     */
    public Response sendBytes(final String method, final String path, final byte[] content, final String contentType)
        throws IOException
    {
        return exchange(method, path, content, contentType);
    }

    private Response exchange(final String method, final String path, final byte[] content, final String contentType)
        throws IOException
    {
        if (handler != null)
        {
            return handler.handle(method, path, content);
        }
        final StringBuilder head = new StringBuilder()
            .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
            .append("Host: podswitch\r\nConnection: close\r\nAccept: application/json\r\n")
            .append("Content-Length: ").append(content.length).append("\r\n");
        if (content.length > 0)
        {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (token != null)
        {
            head.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        head.append("\r\n");
        try (SocketChannel channel = socket != null ? SocketChannel.open(StandardProtocolFamily.UNIX)
            : SocketChannel.open(StandardProtocolFamily.INET))
        {
            channel.connect(socket != null ? UnixDomainSocketAddress.of(socket) : tcp);
            writeFully(channel, ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.UTF_8)));
            try
            {
                writeFully(channel, ByteBuffer.wrap(content));
            }
            catch (final IOException closedEarly)
            {
                // The daemon answered before it read the whole body (413) and closed: its answer says why.
                try
                {
                    return parse(readAll(channel));
                }
                catch (final IOException noAnswer)
                {
                    closedEarly.addSuppressed(noAnswer);
                    throw closedEarly;
                }
            }
            return parse(readAll(channel));
        }
    }

    private static void writeFully(final SocketChannel channel, final ByteBuffer buffer) throws IOException
    {
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
    }

    private static byte[] readAll(final SocketChannel channel) throws IOException
    {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (readSome(channel, buffer, all.size()) >= 0)
        {
            all.write(buffer.array(), 0, buffer.position());
            buffer.clear();
            if (all.size() > MAX_RESPONSE_BYTES)
            {
                throw new IOException("the daemon's answer is larger than " + MAX_RESPONSE_BYTES + " bytes");
            }
        }
        return all.toByteArray();
    }

    /**
     * A daemon that answered before reading the whole body (413) and closed resets the connection
     * once its answer has been read: after some bytes, a reset is the end of the answer.
     */
    private static int readSome(final SocketChannel channel, final ByteBuffer buffer, final int readSoFar)
        throws IOException
    {
        try
        {
            return channel.read(buffer);
        }
        catch (final IOException reset)
        {
            if (readSoFar == 0 && buffer.position() == 0)
            {
                throw reset;
            }
            return -1;
        }
    }

    static Response parse(final byte[] raw) throws IOException
    {
        final String text = new String(raw, StandardCharsets.UTF_8);
        final int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || headEnd < 0)
        {
            throw new IOException("the daemon's answer is not HTTP/1.1");
        }
        final int status = Integer.parseInt(text.substring(9, 12));
        final String body = text.substring(headEnd + 4).strip();
        final Map<String, Object> json = body.isEmpty() ? Map.of()
            : JSON.readValue(body, new TypeReference<Map<String, Object>>()
            {
            });
        return new Response(status, json);
    }
}
