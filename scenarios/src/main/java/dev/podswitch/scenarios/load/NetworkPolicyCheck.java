package dev.podswitch.scenarios.load;

import dev.podswitch.policy.validation.FieldError;
import dev.podswitch.policy.validation.NetworkPolicyDecoder;
import dev.podswitch.scenarios.model.Manifest;

import java.util.List;
import java.util.Map;

/**
 * The API server's NetworkPolicy validation, run on every NetworkPolicy manifest as it is read, so
 * an invalid policy stops the load before anything runs and is never half-applied. Its field
 * errors become one {@link ScenarioException}: the first error is its location, field path and
 * problem; the others, which the API server would report in the same response, follow on their
 * own lines, each with its own file:line:column.
 */
final class NetworkPolicyCheck
{
    private NetworkPolicyCheck()
    {
    }

    /** {@code document} names the document, e.g. "document 2 (NetworkPolicy default/db-policy)". */
    static void check(final Manifest manifest, final String document) throws ScenarioException
    {
        final List<FieldError> errors = NetworkPolicyDecoder.decode(manifest.body()).errors();
        if (errors.isEmpty())
        {
            return;
        }
        final FieldError first = errors.getFirst();
        final StringBuilder problem = new StringBuilder(first.message());
        if (errors.size() > 1)
        {
            problem.append("\n  (").append(errors.size()).append(" errors in all; the others:)");
            for (final FieldError error : errors.subList(1, errors.size()))
            {
                problem.append("\n  ").append(manifest.locationOf(error.fieldPath())).append(": ").append(error);
            }
        }
        throw new ScenarioException(manifest.locationOf(first.fieldPath()), document, first.fieldPath(),
            problem.toString());
    }

    /** "NetworkPolicy prod/db-policy" from the raw body, which may be invalid. */
    static String describe(final Map<String, Object> body)
    {
        final Object metadata = body.get("metadata");
        Object namespace = null;
        Object name = null;
        if (metadata instanceof Map<?, ?> fields)
        {
            namespace = fields.get("namespace");
            name = fields.get("name");
        }
        return "NetworkPolicy " +
            (namespace instanceof String text && !text.isEmpty() ? text : NetworkPolicyDecoder.DEFAULT_NAMESPACE) + "/" +
            (name instanceof String text && !text.isEmpty() ? text : "(no name)");
    }
}
