package dev.podswitch.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./podswitch bench}: a quick run (under two minutes) of the benchmarks that say what this
 * machine can do — one fork each, one parameter point each, the median of five one-second
 * iterations — printed as a table of millions of packets (or decisions) per second with the range
 * of the iterations, nanoseconds per packet and bytes allocated per packet; or, with
 * {@code --json}, one JSON array of {@code {"benchmark", "params", "score" (the median), "min",
 * "max", "error" (JMH's 99.9 %), "unit", "allocBytesPerOp"}} for tools that track the figures.
 * Full runs: bench/README.md.
 */
public final class QuickBench
{
    /** One line of the table: a benchmark method, the parameter point, and what one operation is. */
    record Entry(String label, String benchmark, Map<String, String> params, String operation)
    {
    }

    static final List<Entry> ENTRIES = List.of(
        new Entry("pod to pod, 1 node, 64 B, 1,000 flows, policy on (ring)",
            "dev.podswitch.bench.pipeline.PodToPodThroughputBenchmark.ring",
            Map.of("frameBytes", "64", "flows", "1000", "policy", "on", "nodes", "1"), "packet"),
        new Entry("pod to pod, 2 nodes (VXLAN), 64 B, 1,000 flows, policy on (ring)",
            "dev.podswitch.bench.pipeline.PodToPodThroughputBenchmark.ring",
            Map.of("frameBytes", "64", "flows", "1000", "policy", "on", "nodes", "2"), "packet"),
        new Entry("pod to pod, 1 node, 1,500 B, 1,000 flows, policy on (ring)",
            "dev.podswitch.bench.pipeline.PodToPodThroughputBenchmark.ring",
            Map.of("frameBytes", "1500", "flows", "1000", "policy", "on", "nodes", "1"), "packet"),
        new Entry("parse a TCP frame", "dev.podswitch.bench.packet.FrameParserBenchmark.parse",
            Map.of("kind", "tcp"), "frame"),
        new Entry("conntrack hit, 1,000 flows", "dev.podswitch.bench.conntrack.ConntrackBenchmark.hit",
            Map.of("flows", "1000"), "packet"),
        new Entry("policy decision, 1,000 pods x 1,000 policies",
            "dev.podswitch.bench.policy.PolicyCompiledDecisionBenchmark.decide",
            Map.of("pods", "1000", "policies", "1000"), "decision"));

    private QuickBench()
    {
    }

    public static void main(final String[] args) throws RunnerException
    {
        run(List.of(args).contains("--json"), System.out, System.err);
    }

    /**
     * Runs every entry, reporting progress on {@code progress} (a line as each starts, with the time
     * left as the ones done so far predict it), and prints the table (or JSON) on {@code out}.
     */
    public static void run(final boolean json, final java.io.PrintStream out, final java.io.PrintStream progress)
        throws RunnerException
    {
        final List<Row> rows = new ArrayList<>();
        final long started = System.nanoTime();
        int index = 0;
        for (final Entry entry : ENTRIES)
        {
            final long left = index == 0 ? -1
                : (System.nanoTime() - started) / index * (ENTRIES.size() - index) / 1_000_000_000L;
            progress.printf("podswitch bench: [%d/%d] %s%s%n", ++index, ENTRIES.size(), entry.label(),
                left < 0 ? "" : " (about " + left + " s left)");
            rows.add(run(entry));
        }
        out.println(json ? toJson(rows) : toTable(rows));
    }

    /**
     * One benchmark's figures: the median of its measurement iterations (a slow iteration, the
     * noise of a shared machine, moves it less than the mean), their range, and JMH's 99.9 % error.
     */
    private record Row(Entry entry, double score, double min, double max, double error, String unit,
        double allocBytesPerOp)
    {
    }

    /** Three 1 s warm-ups and five 1 s measurements: the median of five is stable enough to compare two builds. */
    static final int WARMUP_ITERATIONS = 3;
    static final int MEASUREMENT_ITERATIONS = 5;

    private static Row run(final Entry entry) throws RunnerException
    {
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .include("^" + entry.benchmark().replace(".", "\\.") + "$")
            .forks(1)
            // The fork gets these, not the flags of the JVM that runs this (the launcher's
            // -XX:+UseSerialGC beside BenchmarkBase's -XX:+UseParallelGC stopped the fork at birth).
            .jvmArgs("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow")
            .warmupIterations(WARMUP_ITERATIONS)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(MEASUREMENT_ITERATIONS)
            .measurementTime(TimeValue.seconds(1))
            .addProfiler(GCProfiler.class)
            .verbosity(VerboseMode.SILENT);
        entry.params().forEach(options::param);
        final Collection<RunResult> results = new Runner(options.build()).run();
        if (results.size() != 1)
        {
            throw new IllegalStateException(entry.benchmark() + " ran " + results.size() + " times; expected once");
        }
        final RunResult result = results.iterator().next();
        final Result<?> primary = result.getPrimaryResult();
        final Result<?> allocation = result.getSecondaryResults().get("gc.alloc.rate.norm");
        final double[] iterations = result.getBenchmarkResults().stream()
            .flatMap(benchmark -> benchmark.getIterationResults().stream())
            .mapToDouble(iteration -> iteration.getPrimaryResult().getScore()).sorted().toArray();
        return new Row(entry, median(iterations), iterations[0], iterations[iterations.length - 1], primary.getScoreError(),
            primary.getScoreUnit(), allocation == null ? Double.NaN : allocation.getScore());
    }

    static double median(final double[] sorted)
    {
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static String toTable(final List<Row> rows)
    {
        int width = "benchmark".length();
        for (final Row row : rows)
        {
            width = Math.max(width, label(row).length());
        }
        final StringBuilder table = new StringBuilder(String.format("%n%-" + width + "s %24s %8s %8s%n", "benchmark",
            "M per s, median (min–max)", "ns each", "B each"));
        for (final Row row : rows)
        {
            table.append(String.format("%-" + width + "s %9.2f (%5.2f–%5.2f) %8.1f %8.2f%n", label(row), row.score() / 1e6,
                row.min() / 1e6, row.max() / 1e6, 1e9 / row.score(), row.allocBytesPerOp()));
        }
        return table.append("\nOne fork per line, the median of " + MEASUREMENT_ITERATIONS + " one-second iterations: figures for "
            + "this machine (compare two builds on the same one, side by side). Full runs: bench/README.md").toString();
    }

    private static String label(final Row row)
    {
        return row.entry().label() + " (per " + row.entry().operation() + ")";
    }

    private static String toJson(final List<Row> rows)
    {
        final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        final ArrayNode array = mapper.createArrayNode();
        for (final Row row : rows)
        {
            final ObjectNode object = array.addObject();
            object.put("benchmark", row.entry().benchmark());
            final ObjectNode params = object.putObject("params");
            new LinkedHashMap<>(row.entry().params()).forEach(params::put);
            object.put("score", row.score()).put("min", row.min()).put("max", row.max()).put("error", row.error())
                .put("unit", row.unit());
            if (Double.isNaN(row.allocBytesPerOp()))
            {
                object.putNull("allocBytesPerOp");
            }
            else
            {
                object.put("allocBytesPerOp", row.allocBytesPerOp());
            }
        }
        try
        {
            return mapper.writeValueAsString(array);
        }
        catch (final com.fasterxml.jackson.core.JsonProcessingException impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }
}
