package dev.podswitch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code podswitch} command line: every subcommand is a small class of its own. */
@Command(name = "podswitch", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = "A userspace software switch that emulates Kubernetes pod networking.%n"
        + "Exit status: 0 every expectation held, 1 some expectation failed, 2 invalid input.",
    subcommands = {RunCommand.class, UpCommand.class, DownCommand.class, AgentCommand.class, GetCommand.class, ApplyCommand.class,
        DeleteCommand.class, LabelCommand.class, StatusCommand.class, CaptureCommand.class, ObserveCommand.class, ReportCommand.class, PolicyCommand.class, CniCommand.class, DemoCommand.class, ValidateCommand.class, ExplainCommand.class, BenchCommand.class, VersionCommand.class,
        ReplayCommand.class,
        CommandLine.HelpCommand.class})
public final class Main
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_MISMATCH = 1;
    public static final int EXIT_INVALID = 2;

    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new Main());
        // Usage errors are invalid input too: status 2, as SCENARIOS.md promises.
        commandLine.setExitCodeExceptionMapper(error -> EXIT_INVALID);
        commandLine.setParameterExceptionHandler((error, args) ->
        {
            error.getCommandLine().getErr().println("podswitch: " + error.getMessage());
            error.getCommandLine().usage(error.getCommandLine().getErr());
            return EXIT_INVALID;
        });
        return commandLine;
    }
}
