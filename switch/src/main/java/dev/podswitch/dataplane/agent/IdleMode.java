package dev.podswitch.dataplane.agent;

import java.util.Arrays;
import java.util.Locale;

/** The idle strategies a user can choose by name, e.g. {@code podswitch run --idle yield}. */
public enum IdleMode
{
    /** Never gives the core up: lowest latency, one core burnt per thread even when idle. */
    BUSY_SPIN("busy-spin"),
    /** {@link Thread#yield()}: low latency, still near 100% CPU per thread, but polite to other threads. */
    YIELD("yield"),
    /** Spin, then yield, then park up to ~1 ms: near-zero CPU when idle; the default on laptops and CI. */
    BLOCKING("blocking");

    private final String label;

    IdleMode(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }

    /** A fresh strategy for one thread. */
    public IdleStrategy newStrategy()
    {
        return switch (this)
        {
            case BUSY_SPIN -> new BusySpinIdleStrategy();
            case YIELD -> new YieldingIdleStrategy();
            case BLOCKING -> new BackoffIdleStrategy();
        };
    }

    /** @throws IllegalArgumentException naming the accepted labels. */
    public static IdleMode ofLabel(final String label)
    {
        for (final IdleMode mode : values())
        {
            if (mode.label.equals(label.toLowerCase(Locale.ROOT)))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("idle strategy '" + label + "' is not one of "
            + Arrays.stream(values()).map(IdleMode::label).toList());
    }
}
