package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.NetworkNamespaces;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code podswitch down}: for every lab state file, asks a still-running {@code podswitch up}
 * to stop (SIGTERM, then waits for its own teardown), then deletes whatever namespaces and root
 * links of the file's names are still there and removes the file. With {@code all}, also every
 * {@code psw…} namespace and root link on the machine that carries podswitch's mark
 * ({@link NetworkNamespaces#OWNER_MARK}: leftovers of any lab, e.g. a killed run whose state file
 * is lost); a {@code psw…} namespace or link without it is somebody else's and is left alone.
 * A stopped lab's capture socket ({@code lab-<pid>.sock}) is removed with its state file.
 */
public final class LiveDown
{
    private static final long WAIT_FOR_UP_S = 25;

    private LiveDown()
    {
    }

    /** @return how many namespaces and links it deleted. */
    public static int down(final Path stateDirectory, final boolean all, final PrintStream out)
    {
        return down(stateDirectory, all, out, name -> true);
    }

    /**
     * As {@link #down(Path, boolean, PrintStream)}, with {@code all} looking only at the names
     * {@code scope} accepts: a test on a shared machine must not delete other runs' labs.
     */
    static int down(final Path stateDirectory, final boolean all, final PrintStream out,
        final Predicate<String> scope)
    {
        int deleted = 0;
        for (final Path file : LabStateFile.list(stateDirectory))
        {
            final LabStateFile state;
            try
            {
                state = LabStateFile.parse(Files.readString(file));
            }
            catch (final IOException failed)
            {
                throw new UncheckedIOException("cannot read " + file, failed);
            }
            stopIfRunning(state, out);
            deleted += deleteNames(state.namespaces(), out);
            try
            {
                Files.deleteIfExists(file);
                // The capture socket goes with its lab (its name is derived, never read from the file).
                if (ProcessHandle.of(state.pid()).map(process -> !process.isAlive()).orElse(true))
                {
                    Files.deleteIfExists(LabStateFile.socketFor(stateDirectory, state.pid()));
                }
            }
            catch (final IOException failed)
            {
                throw new UncheckedIOException("cannot remove " + file, failed);
            }
            out.println("podswitch: lab of pid " + state.pid() + " (" + state.scenario() + ") is down");
        }
        if (all)
        {
            final Set<String> leftovers = new LinkedHashSet<>();
            for (final String namespace : LiveLab.leftoverNamespaces())
            {
                if (scope.test(namespace) && !keepUnmarked(namespace, NetworkNamespaces.isOwned(namespace), out))
                {
                    leftovers.add(namespace);
                }
            }
            for (final String line : rootLinkLines())
            {
                final String link = linkName(line);
                if (scope.test(link) && !leftovers.contains(link)
                    && !keepUnmarked(link, NetworkNamespaces.isMarked(line), out))
                {
                    leftovers.add(link);
                }
            }
            deleted += deleteNames(new ArrayList<>(leftovers), out);
        }
        return deleted;
    }

    private static boolean keepUnmarked(final String name, final boolean marked, final PrintStream out)
    {
        if (!marked)
        {
            out.println("  kept " + name + ": podswitch did not make it (no alias " + NetworkNamespaces.OWNER_MARK
                + "); delete it yourself if it is a leftover");
        }
        return !marked;
    }

    private static void stopIfRunning(final LabStateFile state, final PrintStream out)
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(state.pid());
        if (process.isEmpty() || !process.get().isAlive() || state.pid() == ProcessHandle.current().pid())
        {
            return;
        }
        // A reused pid is some other program: only a podswitch JVM is asked to stop.
        final String commandLine = process.get().info().commandLine().orElse("");
        if (!commandLine.contains("dev.podswitch"))
        {
            return;
        }
        out.println("podswitch: asking podswitch up (pid " + state.pid() + ") to stop");
        process.get().destroy();
        try
        {
            process.get().onExit().get(WAIT_FOR_UP_S, TimeUnit.SECONDS);
        }
        catch (final Exception notYet)
        {
            out.println("podswitch: pid " + state.pid() + " did not stop within " + WAIT_FOR_UP_S
                + " s; removing its namespaces anyway");
        }
    }

    private static int deleteNames(final List<String> names, final PrintStream out)
    {
        int deleted = 0;
        final Set<String> namespaces = new LinkedHashSet<>(LiveLab.leftoverNamespaces());
        final Set<String> links = rootLinks();
        for (final String name : names)
        {
            if (!name.startsWith(LiveLab.NAME_PREFIX))
            {
                continue;
            }
            if (namespaces.contains(name))
            {
                IpCommand.ip("netns", "delete", name);
                out.println("  deleted namespace " + name);
                deleted++;
            }
            if (links.contains(name))
            {
                IpCommand.ip("link", "delete", name);
                out.println("  deleted link " + name);
                deleted++;
            }
        }
        return deleted;
    }

    /** {@code psw…} links in the root namespace (a TAP whose namespace went while its fd stayed open). */
    private static Set<String> rootLinks()
    {
        final Set<String> found = new LinkedHashSet<>();
        for (final String line : rootLinkLines())
        {
            found.add(linkName(line));
        }
        return found;
    }

    /** The lines of {@code ip -o link show} (root namespace) that describe a {@code psw…} link. */
    private static List<String> rootLinkLines()
    {
        final List<String> found = new ArrayList<>();
        for (final String line : IpCommand.ip("-o", "link", "show").split("\n"))
        {
            if (linkName(line).startsWith(LiveLab.NAME_PREFIX))
            {
                found.add(line);
            }
        }
        return found;
    }

    /** The link's name in a line of {@code ip -o link show}, or "" when the line names none. */
    private static String linkName(final String line)
    {
        // "7: psw1a2b3c4d: <BROADCAST,..." or "7: psw1a2b3c4d@if3: ..."
        final String[] fields = line.split(":\\s*", 3);
        return fields.length >= 2 ? fields[1].split("@")[0].strip() : "";
    }
}
