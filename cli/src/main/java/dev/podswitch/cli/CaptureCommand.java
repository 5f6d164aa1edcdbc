package dev.podswitch.cli;

import dev.podswitch.cli.CaptureClient;
import dev.podswitch.scenarios.live.LabStateFile;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiTarget;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;

import java.io.Console;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code podswitch capture}: one port of a running {@code podswitch up} lab, mirrored into a pcap file. */
@Command(name = "capture", mixinStandardHelpOptions = true,
    description = {"Write the frames of one port of a running `podswitch up` lab to a pcap file, from another "
        + "terminal: a pod's port (what the pod sent and what the switch delivered to it) or a node's VXLAN tunnel "
        + "port (every frame as VXLAN on the underlay, both ways). Prints the frames written every second; stops on "
        + "--count, --duration, Ctrl-C or when the lab stops, and closes the file cleanly. Exit status 0, or 2 when "
        + "the capture cannot start (no lab running, unknown pod or node, file not writable)."},
    footer = {"%nExamples:", "  podswitch capture --pod default/server -w server.pcap -c 100",
        "  tshark -r server.pcap",
        "  podswitch capture --tunnel node-1 -w tunnel.pcap --duration 10",
        "  tshark -r tunnel.pcap -T fields -e vxlan.vni -e ip.src -e ip.dst"})
public final class CaptureCommand implements Callable<Integer>
{
    /** How long Ctrl-C waits for the file to be flushed and closed. */
    private static final long CLOSE_WAIT_S = 5;

    static final class Target
    {
        @Option(names = "--pod", paramLabel = "NS/POD", required = true,
            description = "The pod (namespace/name; a name alone means namespace default) or external host to capture.")
        String pod;

        @Option(names = "--tunnel", paramLabel = "NODE", required = true,
            description = "The node whose VXLAN tunnel port to capture.")
        String tunnel;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Target target;

    @Option(names = {"-w", "--write"}, paramLabel = "FILE", required = true,
        description = "The pcap file to write (replaced if it exists); read it with Wireshark or tshark -r FILE.")
    private Path file;

    @Option(names = {"-c", "--count"}, paramLabel = "COUNT", description = "Stop after COUNT frames.")
    private Long count;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after SECONDS (may have a fraction).")
    private Double duration;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "A daemon's control API socket (an agent's: /run/podswitch/api.sock); its status names where "
            + "it serves captures. Default: $" + ApiTarget.ENVIRONMENT + ", a running agent, else the running up lab.")
    private Path apiSocket;

    @Option(names = "--pid", paramLabel = "PID", description = "The lab to capture in, when several labs run.")
    private Long pid;

    @Option(names = "--state-dir", paramLabel = "DIR",
        description = "Where up wrote its state file (default: $PODSWITCH_STATE_DIR, /run/podswitch as root, "
            + "else $XDG_RUNTIME_DIR/podswitch).")
    private Path stateDirectory;

    /**
     * The capture socket a daemon names in its status — when a daemon is meant: {@code --socket},
     * {@code PODSWITCH_SOCKET} or a running agent. Null means: find an {@code up} lab by its state
     * file, as {@code --pid} and {@code --state-dir} say.
     */
    private Path daemonCaptureSocket() throws IOException
    {
        final boolean daemonMeant = apiSocket != null || (pid == null && stateDirectory == null
            && (System.getenv(ApiTarget.ENVIRONMENT) != null || Files.exists(ApiTarget.AGENT_DEFAULT)));
        if (!daemonMeant)
        {
            return null;
        }
        final ApiClient daemon = ApiTarget.resolve(apiSocket);
        final ApiClient.Response status = daemon.get("/status");
        if (!status.ok() || !(status.body().get("captureSocket") instanceof final String socket))
        {
            throw new IOException("the daemon at " + daemon.describe() + " names no capture socket in its status");
        }
        return Path.of(socket);
    }

    @Override
    public Integer call()
    {
        if (count != null && count < 1)
        {
            System.err.println("podswitch: capture: --count must be at least 1, got " + count);
            return Main.EXIT_INVALID;
        }
        if (duration != null && !(duration > 0 && duration < 1e9))
        {
            System.err.println("podswitch: capture: --duration must be a positive number of seconds, got " + duration);
            return Main.EXIT_INVALID;
        }
        final String name = target.pod != null ? target.pod : target.tunnel;
        if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace))
        {
            System.err.println("podswitch: capture: \"" + name + "\" is not a pod or node name");
            return Main.EXIT_INVALID;
        }
        final Path daemonCaptures;
        try
        {
            daemonCaptures = daemonCaptureSocket();
        }
        catch (final IOException unreachable)
        {
            System.err.println("podswitch: capture: " + unreachable.getMessage());
            return Main.EXIT_MISMATCH;
        }
        final CaptureClient client = new CaptureClient(new CaptureClient.Options(target.tunnel != null, name, file,
            count == null ? 0 : count, duration == null ? null : Duration.ofNanos((long)(duration * 1e9)),
            stateDirectory != null ? stateDirectory : LabStateFile.defaultDirectory(), pid, daemonCaptures), System.err,
            isTerminal());
        // Ctrl-C or SIGTERM: stop reading, flush and close the file, print the summary, then let the JVM go.
        final Thread hook = new Thread(() ->
        {
            client.stop();
            try
            {
                client.awaitDone(CLOSE_WAIT_S, TimeUnit.SECONDS);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }, "psw-capture-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            client.run();
            return Main.EXIT_OK;
        }
        catch (final CaptureClient.CaptureException failed)
        {
            System.err.println("podswitch: capture: " + failed.getMessage());
            return Main.EXIT_INVALID;
        }
        finally
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // The hook is what stopped the capture.
            }
        }
    }

    private static boolean isTerminal()
    {
        final Console console = System.console();
        return console != null && console.isTerminal();
    }
}
