package dev.podswitch.scenarios.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.ScenarioResult;
import dev.podswitch.scenarios.run.StepResult;

import java.util.List;

/**
 * The {@code --json} document of SCENARIOS.md: every probe that ran, with what was expected and
 * observed and which answer came back, so other tools can compare results.
 */
public final class JsonReport
{
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport()
    {
    }

    public static String render(final List<ScenarioResult> results)
    {
        try
        {
            if (results.size() == 1)
            {
                return MAPPER.writeValueAsString(toJson(results.getFirst()));
            }
            final ArrayNode all = MAPPER.createArrayNode();
            results.forEach(result -> all.add(toJson(result)));
            return MAPPER.writeValueAsString(all);
        }
        catch (final com.fasterxml.jackson.core.JsonProcessingException impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    static ObjectNode toJson(final ScenarioResult result)
    {
        final ObjectNode root = MAPPER.createObjectNode();
        root.put("scenario", result.name());
        root.put("file", result.file().toString());
        root.put("passed", result.mismatches() == 0);
        final ArrayNode nodes = root.putArray("nodes");
        for (final ScenarioResult.NodeInfo node : result.nodes())
        {
            nodes.addObject().put("name", node.name()).put("podCIDR", node.podCidr()).put("gateway", node.gateway())
                .put("vtep", node.vtep());
        }
        final ArrayNode steps = root.putArray("steps");
        for (final StepResult step : result.steps())
        {
            final ObjectNode stepJson = steps.addObject();
            stepJson.put("name", step.name());
            final ArrayNode probes = stepJson.putArray("probes");
            for (final ProbeOutcome probe : step.probes())
            {
                final ObjectNode probeJson = probes.addObject()
                    .put("from", probe.from())
                    .put("to", probe.to())
                    .put("protocol", probe.protocol().name());
                if (probe.protocol().hasPorts())
                {
                    probeJson.put("port", probe.port());
                }
                else
                {
                    probeJson.putNull("port");
                }
                if (probe.expected() == null)
                {
                    probeJson.putNull("expected");
                }
                else
                {
                    probeJson.put("expected", probe.expected());
                }
                probeJson.put("observed", probe.observed())
                    .put("answer", probe.answer())
                    .put("sourceIp", probe.sourceIp())
                    .put("sourceIpSeen", probe.sourceIpSeen());
            }
        }
        final ObjectNode frames = root.putObject("frames");
        frames.put("received", result.dataplane().received()).put("forwarded", result.dataplane().forwarded())
            .put("answered", result.dataplane().answered());
        final ObjectNode drops = frames.putObject("dropped");
        result.dataplane().drops().forEach(drops::put);
        final ScenarioResult.Connections connections = result.dataplane().connections();
        root.putObject("connections").put("tracked", connections.tracked()).put("hits", connections.hits())
            .put("related", connections.related()).put("insertFailures", connections.insertFailures())
            .put("evictions", connections.evictions());
        return root;
    }
}
