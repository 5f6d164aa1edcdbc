package dev.podswitch.agent.api;

import dev.podswitch.control.model.ModelException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A refused request as the Kubernetes API server answers one: a {@code Status} object with the
 * HTTP code, a reason, a message, and one cause per field ({@code field} is the field path in the
 * API server's style), so clients — ours, kubectl habits, curl — read every error the same way.
 */
public final class ApiError extends Exception
{
    private final int code;
    private final String reason;
    private final transient List<Map<String, Object>> causes;

    public ApiError(final int code, final String reason, final String message)
    {
        this(code, reason, message, List.of());
    }

    public ApiError(final int code, final String reason, final String message, final List<Map<String, Object>> causes)
    {
        super(message);
        this.code = code;
        this.reason = reason;
        this.causes = List.copyOf(causes);
    }

    public static ApiError badRequest(final String message)
    {
        return new ApiError(400, "BadRequest", message);
    }

    public static ApiError notFound(final String message)
    {
        return new ApiError(404, "NotFound", message);
    }

    /** One cause naming a field: what a malformed body gets. */
    public static ApiError invalidField(final String field, final String message)
    {
        return new ApiError(422, "Invalid", field + ": " + message, List.of(cause("FieldValueInvalid", field, message)));
    }

    /** The model's refusal: 422 Invalid, 404 NotFound or 409 Conflict, one cause per problem. */
    public static ApiError of(final ModelException refused)
    {
        final List<Map<String, Object>> causes = new ArrayList<>();
        for (final ModelException.Problem problem : refused.problems())
        {
            final Map<String, Object> cause = cause(causeReason(problem.error().message()), problem.error().fieldPath(),
                problem.error().message());
            cause.put("object", problem.subject());
            cause.put("index", problem.change());
            causes.add(cause);
        }
        return switch (refused.reason())
        {
            case NOT_FOUND -> new ApiError(404, "NotFound", refused.getMessage(), causes);
            case CONFLICT -> new ApiError(409, "Conflict", refused.getMessage(), causes);
            case QUOTA -> new ApiError(403, "Forbidden", refused.getMessage(), causes);
            case INVALID -> new ApiError(422, "Invalid", refused.getMessage(), causes);
        };
    }

    private static String causeReason(final String message)
    {
        if (message.startsWith("Required value"))
        {
            return "FieldValueRequired";
        }
        if (message.startsWith("Unsupported value"))
        {
            return "FieldValueNotSupported";
        }
        if (message.startsWith("Forbidden"))
        {
            return "FieldValueForbidden";
        }
        if (message.startsWith("Not found"))
        {
            return "FieldValueNotFound";
        }
        return "FieldValueInvalid";
    }

    private static Map<String, Object> cause(final String reason, final String field, final String message)
    {
        final Map<String, Object> cause = new LinkedHashMap<>();
        cause.put("reason", reason);
        cause.put("message", message);
        cause.put("field", field);
        return cause;
    }

    public int code()
    {
        return code;
    }

    /** The {@code Status} object this error is answered with. */
    public Map<String, Object> status()
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.put("status", "Failure");
        status.put("message", getMessage());
        status.put("reason", reason);
        if (!causes.isEmpty())
        {
            status.put("details", Map.of("causes", causes));
        }
        status.put("code", code);
        return status;
    }
}
