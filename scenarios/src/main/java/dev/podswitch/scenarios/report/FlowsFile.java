package dev.podswitch.scenarios.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.control.flows.ClusterFlows;
import dev.podswitch.control.flows.FlowFilter;
import dev.podswitch.scenarios.run.Lab;
import dev.podswitch.scenarios.run.RunListener;
import dev.podswitch.scenarios.run.StepResult;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code run --flows FILE.jsonl}: after every step, the flows the nodes recorded during it — the same
 * records {@code podswitch observe -o json} prints for a running lab, one JSON object a line — each
 * with the scenario and step it belongs to. Written as the run goes, so a long run's file grows.
 */
public final class FlowsFile implements RunListener, AutoCloseable
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;
    private final String scenario;
    private Map<String, Long> cursor = Map.of();
    private long written;

    private FlowsFile(final BufferedWriter out, final String scenario)
    {
        this.out = out;
        this.scenario = scenario;
    }

    /** Opens {@code file} for one scenario's flows, appending when {@code append} (a later scenario of the same run). */
    public static FlowsFile open(final Path file, final String scenario, final boolean append) throws IOException
    {
        return new FlowsFile(append ? Files.newBufferedWriter(file, StandardCharsets.UTF_8,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)
            : Files.newBufferedWriter(file, StandardCharsets.UTF_8), scenario);
    }

    @Override
    public void stepFinished(final int index, final StepResult step, final Lab lab)
    {
        final ClusterFlows.Page page = ClusterFlows.read(lab.cluster().nodes().values(), lab.model().snapshot(), cursor, 0,
            FlowFilter.ANY);
        cursor = page.next();
        try
        {
            for (final Map<String, Object> flow : page.flows())
            {
                final Map<String, Object> line = new LinkedHashMap<>();
                line.put("scenario", scenario);
                line.put("step", step.name());
                line.putAll(flow);
                out.write(JSON.writeValueAsString(line));
                out.newLine();
                written++;
            }
            out.flush();
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException("cannot write the flows file: " + failed.getMessage(), failed);
        }
    }

    /** Flows written so far. */
    public long written()
    {
        return written;
    }

    @Override
    public void close() throws IOException
    {
        out.close();
    }
}
