package dev.podswitch.scenarios.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Immutable copies of maps that keep the order they were written in, unlike {@code Map.copyOf}. */
final class Maps
{
    private Maps()
    {
    }

    static <K, V> Map<K, V> orderedCopy(final Map<K, V> map)
    {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
