package dev.podswitch.control.model;

import dev.podswitch.policy.validation.FieldError;

import java.util.List;

/**
 * Why an apply changed nothing: each problem names the change (by its index in the list given to
 * {@link ClusterModel#apply}) and the field, in the API server's field-path style.
 */
public final class ModelException extends Exception
{
    /** What kind of refusal, as the API would answer it (422, 404, 409, 403). */
    public enum Reason
    {
        INVALID, NOT_FOUND, CONFLICT, QUOTA
    }

    public record Problem(int change, String subject, FieldError error)
    {
        @Override
        public String toString()
        {
            return subject + ": " + error;
        }
    }

    private final Reason reason;
    private final transient List<Problem> problems;

    public ModelException(final Reason reason, final List<Problem> problems)
    {
        super(summary(problems));
        this.reason = reason;
        this.problems = List.copyOf(problems);
    }

    public Reason reason()
    {
        return reason;
    }

    public List<Problem> problems()
    {
        return problems;
    }

    private static String summary(final List<Problem> problems)
    {
        final StringBuilder text = new StringBuilder();
        for (final Problem problem : problems)
        {
            text.append(text.isEmpty() ? "" : "\n").append(problem);
        }
        return text.toString();
    }
}
