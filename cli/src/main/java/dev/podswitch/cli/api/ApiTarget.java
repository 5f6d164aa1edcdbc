package dev.podswitch.cli.api;

import dev.podswitch.scenarios.live.LabStateFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which daemon a command talks to: {@code --socket}, else {@code PODSWITCH_SOCKET}, else the
 * agent's default socket if it is there, else the one {@code podswitch up} lab running. Saying
 * where it looked when none answers is most of the help a user needs.
 */
public final class ApiTarget
{
    public static final String ENVIRONMENT = "PODSWITCH_SOCKET";
    public static final Path AGENT_DEFAULT = Path.of("/run/podswitch/api.sock");

    private ApiTarget()
    {
    }

    public static ApiClient resolve(final Path given) throws IOException
    {
        if (given != null)
        {
            return ApiClient.overSocket(given);
        }
        final String fromEnvironment = System.getenv(ENVIRONMENT);
        if (fromEnvironment != null && !fromEnvironment.isBlank())
        {
            return ApiClient.overSocket(Path.of(fromEnvironment));
        }
        if (Files.exists(AGENT_DEFAULT))
        {
            return ApiClient.overSocket(AGENT_DEFAULT);
        }
        final List<Path> labs = new ArrayList<>();
        for (final Path file : LabStateFile.list(LabStateFile.defaultDirectory()))
        {
            final LabStateFile lab = LabStateFile.read(file);
            if (lab != null && lab.api() != null && ProcessHandle.of(lab.pid()).map(ProcessHandle::isAlive).orElse(false))
            {
                labs.add(Path.of(lab.api()));
            }
        }
        if (labs.size() == 1)
        {
            return ApiClient.overSocket(labs.getFirst());
        }
        throw new IOException(labs.isEmpty()
            ? "no podswitch daemon found: no --socket, no " + ENVIRONMENT + ", nothing at " + AGENT_DEFAULT
                + " and no `podswitch up` lab running; start one with `podswitch agent` or `podswitch up FILE`"
            : "several `podswitch up` labs are running (" + labs + "); say which with --socket");
    }
}
