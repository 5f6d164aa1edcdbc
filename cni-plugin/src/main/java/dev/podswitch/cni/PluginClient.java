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
 * VERSION itself (runtimes ask before the agent may be up) and, when the agent cannot be reached,
 * prints the spec's error JSON with code 11 ("try again later"; 50, "not available", for STATUS).
 *
 * <p>JDK-only and small on purpose: its start-up is part of every pod's start-up
 * ({@code podswitch cni install} gives it a class-data-sharing archive).
 */
public final class PluginClient
{
    /** The socket when neither {@code -Dpodswitch.cni.socket} nor {@code PODSWITCH_CNI_SOCKET} says otherwise. */
    public static final String DEFAULT_SOCKET = "/run/podswitch/cni.sock";
    private static final Pattern CNI_VERSION = Pattern.compile("\"cniVersion\"\\s*:\\s*\"([^\"]*)\"");

    private PluginClient()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final byte[] stdin = System.in.readAllBytes();
        final Map<String, String> environment = new TreeMap<>();
        System.getenv().forEach((key, value) ->
        {
            if (key.startsWith("CNI_"))
            {
                environment.put(key, value);
            }
        });
        final int status = run(environment, stdin, socketPath(), System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    public static Path socketPath()
    {
        final String property = System.getProperty("podswitch.cni.socket");
        final String variable = System.getenv("PODSWITCH_CNI_SOCKET");
        return Path.of(property != null ? property : variable != null ? variable : DEFAULT_SOCKET);
    }

    /** One plugin invocation; returns the exit status. */
    public static int run(final Map<String, String> environment, final byte[] stdin, final Path socket, final PrintStream out,
        final PrintStream err)
    {
        final String command = environment.getOrDefault("CNI_COMMAND", "");
        if ("VERSION".equals(command))
        {
            out.print(CniVersions.versionResult(requestedVersion(stdin)));
            return 0;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            CniWire.writeRequest(new DataOutputStream(Channels.newOutputStream(channel)), CniWire.KIND_CNI, environment,
                stdin);
            final CniWire.Response response = CniWire.readResponse(new DataInputStream(Channels.newInputStream(channel)));
            out.write(response.stdout());
            err.write(response.stderr());
            return response.exitStatus();
        }
        catch (final IOException unreachable)
        {
            // STATUS is the runtime's readiness probe: for a daemon that is down the spec's answer is 50
            // ("plugin not available"), not "try again later".
            final int code = "STATUS".equals(command) ? CniVersions.NOT_AVAILABLE : CniVersions.TRY_AGAIN_LATER;
            out.print(CniVersions.errorJson(requestedVersion(stdin), code,
                "podswitch agent not reachable", "socket " + socket + ": " + unreachable.getMessage()
                    + " (start it with: podswitch agent)"));
            return 1;
        }
    }

    /** The config's cniVersion, found without a JSON parser (the answer must be in the caller's version). */
    public static String requestedVersion(final byte[] stdin)
    {
        final Matcher matcher = CNI_VERSION.matcher(new String(stdin, StandardCharsets.UTF_8));
        return matcher.find() ? matcher.group(1) : CniVersions.LATEST;
    }
}
