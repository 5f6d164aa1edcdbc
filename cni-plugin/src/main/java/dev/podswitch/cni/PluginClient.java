package dev.podswitch.cni;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code podswitch} CNI plugin binary's main class: a thin client of the node agent, as
 * production CNIs are (Calico, Cilium). It forwards its {@code CNI_*} environment and stdin over
 * the agent's Unix socket and prints what the agent answers, exiting with its status. It answers
 * VERSION itself (runtimes ask before the agent may be up).
 *
 * <p>Its own failures carry the spec's codes: 11 ("try again later") when no agent answers — the
 * socket is missing or refuses, the agent says it is busy, or it does not answer within the
 * deadline ({@value #DEFAULT_TIMEOUT_MS} ms unless {@code -Dpodswitch.cni.timeoutMs} or
 * {@code PODSWITCH_CNI_TIMEOUT_MS} says otherwise) — and 50 ("not available") for STATUS then;
 * 5 (I/O failure) when stdin cannot be read or the connection breaks after the request went;
 * 4 when the environment is too large to send; 7 when the network config is.
 *
 * <p>JDK-only and small on purpose: its start-up is part of every pod's start-up
 * ({@code podswitch cni install} gives it a class-data-sharing archive).
 */
public final class PluginClient
{
    /** The socket when neither {@code -Dpodswitch.cni.socket} nor {@code PODSWITCH_CNI_SOCKET} says otherwise. */
    public static final String DEFAULT_SOCKET = "/run/podswitch/cni.sock";
    /** One ADD waits for the ADDs before it (the agent serialises them): a minute covers hundreds. */
    public static final long DEFAULT_TIMEOUT_MS = 60_000;
    private static final Pattern CNI_VERSION = Pattern.compile("\"cniVersion\"\\s*:\\s*\"([^\"]*)\"");

    private PluginClient()
    {
    }

    public static void main(final String[] args)
    {
        final Map<String, String> environment = new TreeMap<>();
        System.getenv().forEach((key, value) ->
        {
            if (key.startsWith("CNI_"))
            {
                environment.put(key, value);
            }
        });
        final byte[] stdin;
        try
        {
            // One byte more than the agent takes, so a larger config is told apart without reading it all.
            stdin = System.in.readNBytes(CniWire.MAX_BODY + 1);
        }
        catch (final IOException unreadable)
        {
            System.out.print(CniVersions.errorJson(CniVersions.LATEST, CniVersions.IO_FAILURE, "cannot read stdin",
                String.valueOf(unreadable.getMessage())));
            System.out.flush();
            System.exit(1);
            return;
        }
        final int status = run(environment, stdin, socketPath(), timeoutMs(), System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    public static Path socketPath()
    {
        final String property = System.getProperty("podswitch.cni.socket");
        final String variable = System.getenv("PODSWITCH_CNI_SOCKET");
        return Path.of(property != null ? property : variable != null ? variable : DEFAULT_SOCKET);
    }

    /** The deadline of one invocation; a value that is not a positive number leaves the default. */
    public static long timeoutMs()
    {
        final String property = System.getProperty("podswitch.cni.timeoutMs");
        final String text = property != null ? property : System.getenv("PODSWITCH_CNI_TIMEOUT_MS");
        try
        {
            final long value = text == null ? DEFAULT_TIMEOUT_MS : Long.parseLong(text.strip());
            return value > 0 ? value : DEFAULT_TIMEOUT_MS;
        }
        catch (final NumberFormatException notANumber)
        {
            return DEFAULT_TIMEOUT_MS;
        }
    }

    /** One plugin invocation; returns the exit status. */
    public static int run(final Map<String, String> environment, final byte[] stdin, final Path socket, final long timeoutMs,
        final PrintStream out, final PrintStream err)
    {
        final String command = environment.getOrDefault("CNI_COMMAND", "");
        if ("VERSION".equals(command))
        {
            out.print(CniVersions.versionResult(requestedVersion(stdin)));
            return 0;
        }
        final String version = requestedVersion(stdin);
        if (stdin.length > CniWire.MAX_BODY)
        {
            return fail(out, version, CniVersions.INVALID_CONFIG, "network config too large",
                "stdin holds more than " + CniWire.MAX_BODY + " bytes; a network config is kilobytes");
        }
        final String tooLarge = CniWire.requestProblem(environment, stdin);
        if (tooLarge != null)
        {
            return fail(out, version, CniVersions.INVALID_ENVIRONMENT, "CNI environment too large", tooLarge);
        }
        final SocketChannel channel;
        try
        {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        }
        catch (final IOException noSocket)
        {
            return fail(out, version, CniVersions.IO_FAILURE, "cannot open a socket", String.valueOf(noSocket.getMessage()));
        }
        final Deadline deadline = Deadline.start(channel, timeoutMs);
        try
        {
            try
            {
                channel.connect(UnixDomainSocketAddress.of(socket));
            }
            catch (final IOException unreachable)
            {
                return unreachable(out, command, version, socket, deadline.passed()
                    ? "no connection within " + timeoutMs + " ms" : String.valueOf(unreachable.getMessage()));
            }
            final CniWire.Response response;
            try
            {
                response = exchange(channel, environment, stdin);
            }
            catch (final IOException broken)
            {
                if (deadline.passed())
                {
                    return fail(out, version, CniVersions.TRY_AGAIN_LATER, "podswitch agent did not answer in time",
                        "no answer within " + timeoutMs + " ms on " + socket + " (busy or stuck; its log says which)");
                }
                return fail(out, version, CniVersions.IO_FAILURE, "connection to the podswitch agent broke",
                    "socket " + socket + ": " + broken.getMessage() + " (the agent's log says why)");
            }
            out.writeBytes(response.stdout());
            err.writeBytes(response.stderr());
            return response.exitStatus();
        }
        finally
        {
            deadline.cancel();
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // The answer, if any, is printed already.
            }
        }
    }

    /**
     * Sends the request and reads the answer. An agent that is busy answers without reading the
     * request, so a failed send is followed by a read all the same: the answer may be there.
     */
    private static CniWire.Response exchange(final SocketChannel channel, final Map<String, String> environment,
        final byte[] stdin) throws IOException
    {
        IOException sendFailed = null;
        try
        {
            CniWire.writeRequest(new DataOutputStream(Channels.newOutputStream(channel)), CniWire.KIND_CNI, environment,
                stdin);
        }
        catch (final IOException failed)
        {
            sendFailed = failed;
        }
        try
        {
            return CniWire.readResponse(new DataInputStream(Channels.newInputStream(channel)));
        }
        catch (final IOException noAnswer)
        {
            throw sendFailed != null ? sendFailed : noAnswer;
        }
    }

    private static int unreachable(final PrintStream out, final String command, final String version, final Path socket,
        final String why)
    {
        // STATUS is the runtime's readiness probe: for a daemon that is down the spec's answer is 50
        // ("plugin not available"), not "try again later".
        final int code = "STATUS".equals(command) ? CniVersions.NOT_AVAILABLE : CniVersions.TRY_AGAIN_LATER;
        return fail(out, version, code, "podswitch agent not reachable",
            "socket " + socket + ": " + why + " (start it with: podswitch agent)");
    }

    private static int fail(final PrintStream out, final String version, final int code, final String message,
        final String details)
    {
        out.print(CniVersions.errorJson(version, code, message, details));
        return 1;
    }

    /** Closes the channel when the time is up, which ends a connect, write or read blocked on it. */
    private static final class Deadline implements Runnable
    {
        private final SocketChannel channel;
        private final long timeoutMs;
        private volatile boolean passed;
        private Thread thread;

        private Deadline(final SocketChannel channel, final long timeoutMs)
        {
            this.channel = channel;
            this.timeoutMs = timeoutMs;
        }

        static Deadline start(final SocketChannel channel, final long timeoutMs)
        {
            final Deadline deadline = new Deadline(channel, timeoutMs);
            deadline.thread = Thread.ofPlatform().name("psw-plugin-deadline").daemon(true).start(deadline);
            return deadline;
        }

        @Override
        public void run()
        {
            try
            {
                Thread.sleep(timeoutMs);
                passed = true;
                channel.close();
            }
            catch (final InterruptedException | IOException done)
            {
                // Cancelled: the exchange ended first.
            }
        }

        boolean passed()
        {
            return passed;
        }

        void cancel()
        {
            thread.interrupt();
        }
    }

    /** The config's cniVersion, found without a JSON parser (the answer must be in the caller's version). */
    public static String requestedVersion(final byte[] stdin)
    {
        final Matcher matcher = CNI_VERSION.matcher(new String(stdin, StandardCharsets.UTF_8));
        return matcher.find() ? matcher.group(1) : CniVersions.LATEST;
    }
}
