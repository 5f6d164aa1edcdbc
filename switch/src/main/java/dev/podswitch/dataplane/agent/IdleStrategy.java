package dev.podswitch.dataplane.agent;

/**
 * What a duty-cycle thread does after a cycle, given how much work that cycle did: nothing when
 * there was work, and when there was none, whatever its flavour trades between latency and CPU
 * (agrona {@code IdleStrategy}; OVS {@code pmd_thread_main}). Stateful and owned by one thread:
 * every thread gets its own instance from {@link IdleMode#newStrategy()}.
 */
public interface IdleStrategy
{
    /** Idles if {@code workCount} is 0, otherwise resets any back-off. */
    void idle(int workCount);

    /** Idles once, unconditionally, backing off further on each call until {@link #reset()}. */
    void idle();

    /** Forgets the back-off: the next idle starts again from its cheapest step. */
    void reset();
}
