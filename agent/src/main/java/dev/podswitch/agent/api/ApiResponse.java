package dev.podswitch.agent.api;

/** What the control API answers: an HTTP status and a JSON body (an object, or a {@code Status} for an error). */
public record ApiResponse(int status, Object body)
{
    public static ApiResponse ok(final Object body)
    {
        return new ApiResponse(200, body);
    }

    public static ApiResponse error(final ApiError error)
    {
        return new ApiResponse(error.code(), error.status());
    }
}
