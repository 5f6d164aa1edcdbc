package dev.podswitch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code podswitch version}: the build and the runtime it runs on. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version and the Java runtime.")
public final class VersionCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call()
    {
        for (final String line : new Provider().getVersion())
        {
            spec.commandLine().getOut().println(line);
        }
        return Main.EXIT_OK;
    }

    /** Shared with {@code --version}. */
    public static final class Provider implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "podswitch " + (version == null ? "0.1.0-SNAPSHOT (built from source)" : version),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")"};
        }
    }
}
