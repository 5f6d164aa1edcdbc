package dev.podswitch.scenarios.load;

import java.util.Collection;

/** "did you mean X?" for names that are a small typo away from a known one. */
final class Suggest
{
    static final int MAX_DISTANCE = 2;

    private Suggest()
    {
    }

    /** The known name nearest to {@code name} within {@link #MAX_DISTANCE} edits, ignoring case; else null. */
    static String nearest(final String name, final Collection<String> known)
    {
        String best = null;
        int bestDistance = MAX_DISTANCE + 1;
        for (final String candidate : known)
        {
            final int distance = distance(name.toLowerCase(), candidate.toLowerCase());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** "; did you mean X?" or, when nothing is near, the list of known names. */
    static String hint(final String name, final Collection<String> known)
    {
        final String nearest = nearest(name, known);
        if (nearest != null)
        {
            return "; did you mean \"" + nearest + "\"?";
        }
        return known.isEmpty() ? "" : "; known fields: " + String.join(", ", known);
    }

    /** "; did you mean X?" or "" when nothing is near. */
    static String didYouMean(final String name, final Collection<String> known)
    {
        final String nearest = nearest(name, known);
        return nearest == null ? "" : "; did you mean \"" + nearest + "\"?";
    }

    /** Levenshtein distance. */
    static int distance(final String a, final String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++)
            {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
