package dev.podswitch.cli;

import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.live.LiveDown;
import dev.podswitch.scenarios.live.LiveSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code podswitch down}: removes what {@code podswitch up} made, from another terminal or after a crash. */
@Command(name = "down", mixinStandardHelpOptions = true,
    description = "Tear down live labs made by `podswitch up`: stop a running one (SIGTERM) and delete every psw* "
        + "namespace and link its state file lists. --all also deletes every psw* namespace and link on this "
        + "machine that podswitch made (alias podswitch-owned).")
public final class DownCommand implements Callable<Integer>
{
    @Option(names = "--all", description = "Also delete every psw* namespace and link podswitch made (leftovers of "
        + "any lab); ones made by hand are kept.")
    private boolean all;

    @Option(names = "--state-dir", paramLabel = "DIR",
        description = "Where up wrote its state file (default: $PODSWITCH_STATE_DIR, /run/podswitch as root, "
            + "else $XDG_RUNTIME_DIR/podswitch).")
    private Path stateDirectory;

    @Override
    public Integer call()
    {
        final String unavailable = LiveSupport.unavailableReason();
        if (unavailable != null)
        {
            System.err.println("podswitch: down cannot run here: " + unavailable);
            return Main.EXIT_INVALID;
        }
        try
        {
            final int deleted = LiveDown.down(stateDirectory != null ? stateDirectory : LabStateFile.defaultDirectory(),
                all, System.out);
            System.out.println("podswitch: " + deleted + " namespace(s) and link(s) deleted");
            return Main.EXIT_OK;
        }
        catch (final IllegalStateException | java.io.UncheckedIOException failed)
        {
            System.err.println("podswitch: down failed: " + failed.getMessage());
            return Main.EXIT_INVALID;
        }
    }
}
