package dev.podswitch.agent.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/** One metric family being filled during a scrape: a counter or a gauge, its samples added by label. */
final class Family
{
    private final CounterSnapshot.Builder counter;
    private final GaugeSnapshot.Builder gauge;

    private Family(final CounterSnapshot.Builder counter, final GaugeSnapshot.Builder gauge)
    {
        this.counter = counter;
        this.gauge = gauge;
    }

    /** @param name without {@code _total}: the text format adds it to a counter's samples. */
    static Family counter(final String name, final String help)
    {
        return new Family(CounterSnapshot.builder().name(name).help(help), null);
    }

    static Family gauge(final String name, final String help)
    {
        return new Family(null, GaugeSnapshot.builder().name(name).help(help));
    }

    /** @param labels name, value, name, value… */
    void add(final double value, final String... labels)
    {
        if (counter != null)
        {
            counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).labels(Labels.of(labels))
                .build());
        }
        else
        {
            gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build());
        }
    }

    MetricSnapshot build()
    {
        return counter != null ? counter.build() : gauge.build();
    }
}
