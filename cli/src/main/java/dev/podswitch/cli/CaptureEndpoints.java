package dev.podswitch.cli;

import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.util.Closeables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where {@code podswitch capture} connects: the running {@code up} lab of a state directory (or
 * the one of a pid), found by its state file, or a daemon's capture socket; and the connection,
 * with a message that says what to do when it cannot be made.
 */
final class CaptureEndpoints
{
    private CaptureEndpoints()
    {
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
            return running.stream().filter(state -> state.pid() == pid).findFirst().map(CaptureEndpoints::withSocket)
                .orElseThrow(() -> new CaptureClient.CaptureException("no lab of pid " + pid + " is running in " + stateDirectory
                    + (running.isEmpty() ? "" : "; running labs: " + describe(running))));
        }
        if (running.isEmpty())
        {
            throw new CaptureClient.CaptureException("no lab is running: " + (stopped.isEmpty()
                ? "no state file of `podswitch up` in " + stateDirectory
                : "the state files in " + stateDirectory + " are of labs that stopped (" + describe(stopped)
                    + "; `podswitch down` removes them)")
                + ". Start one with `podswitch up FILE` (as root), or pass the --state-dir it uses.");
        }
        if (running.size() > 1)
        {
            throw new CaptureClient.CaptureException(running.size() + " labs are running: " + describe(running)
                + "; choose one with --pid");
        }
        return withSocket(running.getFirst());
    }

    private static LabStateFile withSocket(final LabStateFile lab)
    {
        if (lab.socket() == null)
        {
            throw new CaptureClient.CaptureException("the lab of pid " + lab.pid() + " (" + lab.scenario() + ") has no capture socket "
                + "(it is still starting, or its podswitch has no capture); try again in a moment");
        }
        return lab;
    }

    private static String describe(final List<LabStateFile> labs)
    {
        return String.join(", ", labs.stream().map(lab -> "pid " + lab.pid() + " (" + lab.scenario() + ")").toList());
    }

    static SocketChannel connect(final LabStateFile lab)
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
            Closeables.closeQuietly(connected);
            final String why = failed.getMessage() == null ? failed.getClass().getSimpleName() : failed.getMessage();
            throw new CaptureClient.CaptureException("cannot reach " + (lab.pid() == 0 ? "the daemon" : "the lab of pid " + lab.pid())
                + " at " + lab.socket() + ": " + why
                + (why.toLowerCase(Locale.ROOT).contains("permission") ? " (run capture as the user who ran up, "
                    + "e.g. with sudo)" : ""), failed);
        }
    }

}
