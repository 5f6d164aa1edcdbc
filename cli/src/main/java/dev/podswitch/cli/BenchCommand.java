package dev.podswitch.cli;

import dev.podswitch.bench.QuickBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.Console;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code podswitch bench}: the quick JMH suite, run in process (each benchmark in a fork of its own),
 * with a progress line per benchmark on a terminal.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Quick benchmarks for this machine (under 2 minutes): Mpps, ns per packet and B/op. Full runs: "
        + "bench/README.md.")
public final class BenchCommand implements Callable<Integer>
{
    @Option(names = "--json", description = "One JSON array instead of the table.")
    private boolean json;

    @Override
    public Integer call() throws Exception
    {
        // Progress lines are for a person at a terminal: a pipe, a file, a CI log or --json get only the result.
        final Console console = System.console();
        final boolean showProgress = !json && console != null && console.isTerminal();
        QuickBench.run(json, System.out, showProgress ? System.err : new PrintStream(OutputStream.nullOutputStream()));
        return Main.EXIT_OK;
    }
}
