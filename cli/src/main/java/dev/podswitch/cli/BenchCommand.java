package dev.podswitch.cli;

import dev.podswitch.bench.QuickBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code podswitch bench}: the quick JMH suite, run in process (each benchmark in a fork of its own). */
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
        QuickBench.run(json, System.out, System.err);
        return Main.EXIT_OK;
    }
}
