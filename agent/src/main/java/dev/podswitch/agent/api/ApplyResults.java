package dev.podswitch.agent.api;

import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.policy.validation.FieldError;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The answer to an apply: one line per object as kubectl prints it, with the API server's warnings. */
final class ApplyResults
{
    private ApplyResults()
    {
    }

    static Map<String, Object> of(final List<ClusterModel.Outcome> outcomes, final boolean dryRun)
    {
        final List<Map<String, Object>> items = new ArrayList<>();
        for (final ClusterModel.Outcome outcome : outcomes)
        {
            final Map<String, Object> item = new LinkedHashMap<>();
            item.put("object", outcome.subject());
            item.put("result", outcome.verb() + (dryRun ? " (dry run)" : ""));
            if (!outcome.warnings().isEmpty())
            {
                item.put("warnings", outcome.warnings().stream().map(FieldError::toString).toList());
            }
            items.add(item);
        }
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("kind", "ApplyResult");
        answer.put("apiVersion", "podswitch.dev/v1");
        answer.put("dryRun", dryRun);
        answer.put("items", items);
        return answer;
    }
}
