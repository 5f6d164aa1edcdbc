package dev.podswitch.dataplane.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unexpected Throwables seen by data-plane threads, recorded once per distinct stack trace with a
 * count, so that a bug hit by every packet neither floods a log nor goes unnoticed. The loop that
 * caught it keeps running. Synchronized: only the rare error path comes here.
 */
public final class DistinctErrorLog
{
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** One distinct error, the first time it was seen and how often since. */
    public record Entry(String description, Throwable first, long count)
    {
    }

    public synchronized void record(final Throwable error)
    {
        final StackTraceElement[] trace = error.getStackTrace();
        final String key = error.getClass().getName() + "@" + (trace.length > 0 ? trace[0] : "?");
        final Entry entry = entries.get(key);
        if (entry == null)
        {
            entries.put(key, new Entry(error.toString(), error, 1));
            System.err.println("podswitch: data-plane error (logged once, counted after): " + error);
            error.printStackTrace(System.err);
        }
        else
        {
            entries.put(key, new Entry(entry.description(), entry.first(), entry.count() + 1));
        }
    }

    public synchronized List<Entry> entries()
    {
        return new ArrayList<>(entries.values());
    }
}
