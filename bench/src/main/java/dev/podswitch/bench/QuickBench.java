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
 * machine can do — one short fork each, one parameter point each — printed as a table of millions
 * of packets (or decisions) per second, nanoseconds per packet and bytes allocated per packet; or,
 * with {@code --json}, one JSON array of {@code {"benchmark", "params", "score", "error", "unit",
 * "allocBytesPerOp"}} for tools that track the figures. Full runs: bench/README.md.
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

    private record Row(Entry entry, double score, double error, String unit, double allocBytesPerOp)
    {
    }

    private static Row run(final Entry entry) throws RunnerException
    {
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .include("^" + entry.benchmark().replace(".", "\\.") + "$")
            .forks(1)
            .warmupIterations(2)
            .warmupTime(TimeValue.milliseconds(500))
            .measurementIterations(3)
            .measurementTime(TimeValue.milliseconds(500))
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
        return new Row(entry, primary.getScore(), primary.getScoreError(), primary.getScoreUnit(),
            allocation == null ? Double.NaN : allocation.getScore());
    }

    private static String toTable(final List<Row> rows)
    {
        int width = "benchmark".length();
        for (final Row row : rows)
        {
            width = Math.max(width, label(row).length());
        }
        final StringBuilder table = new StringBuilder(String.format("%n%-" + width + "s %18s %8s %8s%n", "benchmark",
            "M per s (± error)", "ns each", "B each"));
        for (final Row row : rows)
        {
            table.append(String.format("%-" + width + "s %9.1f ± %6.1f %8.1f %8.2f%n", label(row), row.score() / 1e6,
                row.error() / 1e6, 1e9 / row.score(), row.allocBytesPerOp()));
        }
        return table.append("\nOne short fork per line: figures for this machine, with wide error bars. "
            + "Full runs and how to read them: bench/README.md").toString();
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
            object.put("score", row.score()).put("error", row.error()).put("unit", row.unit());
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
