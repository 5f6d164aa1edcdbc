package dev.podswitch.agent.api;

import java.util.List;
import java.util.Map;

/** Reading a request's query parameters the same way in every resource: the last value wins, an empty one is none. */
final class QueryParameters
{
    private QueryParameters()
    {
    }

    /** The parameter's last value, or null when it is absent or empty. */
    static String one(final Map<String, List<String>> query, final String name)
    {
        final List<String> values = query.get(name);
        return values == null || values.isEmpty() || values.getLast().isEmpty() ? null : values.getLast();
    }

    /**
     * The parameter as a whole number in {@code [min, max]}, or {@code absent} when it is not given.
     *
     * @param mustBe what the 400 answer says it must be ({@code a number from 1 to 10000}).
     */
    static long number(final Map<String, List<String>> query, final String name, final long min, final long max,
        final long absent, final String mustBe) throws ApiError
    {
        final String text = one(query, name);
        if (text == null)
        {
            return absent;
        }
        try
        {
            final long value = Long.parseLong(text);
            if (value < min || value > max)
            {
                throw new NumberFormatException();
            }
            return value;
        }
        catch (final NumberFormatException outOfRange)
        {
            throw ApiError.badRequest(name + " must be " + mustBe + ", not \"" + text + "\"");
        }
    }
}
