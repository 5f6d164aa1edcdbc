package dev.podswitch.scenarios.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code podswitch bench} is run by the launcher script from bench/target/benchmarks.jar (the
 * bench module depends on this one, so the command line cannot call it). This entry only makes it
 * visible in {@code --help} and explains itself when reached directly.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Quick benchmarks for this machine (under 2 minutes): Mpps, ns per packet and B/op. "
        + "Options: --json. Runs through the ./podswitch launcher; full runs: bench/README.md.")
public final class BenchCommand implements Callable<Integer>
{
    @Override
    public Integer call()
    {
        System.err.println("podswitch: run benchmarks through the launcher, ./podswitch bench [--json], which builds "
            + "and starts bench/target/benchmarks.jar");
        return Main.EXIT_INVALID;
    }
}
