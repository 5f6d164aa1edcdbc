package dev.podswitch.datastore;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded polling for what etcd does in its own time (a lease expiring, a watch catching up): the
 * tests wait for the effect, never for a fixed sleep, and never assert how long it took.
 */
final class Eventually
{
    /** A condition that may need etcd. */
    @FunctionalInterface
    interface Condition
    {
        boolean holds() throws Exception;
    }

    static final Duration DEFAULT = Duration.ofSeconds(20);

    private Eventually()
    {
    }

    static void until(final String what, final Condition condition) throws Exception
    {
        until(what, DEFAULT, condition);
    }

    static void until(final String what, final Duration timeout, final Condition condition) throws Exception
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds())
        {
            if (System.nanoTime() > deadline)
            {
                fail(what + ": still not so after " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    /** Until etcd has removed {@code key} (its lease expired). */
    static void gone(final Datastore datastore, final String key) throws Exception
    {
        until(key + " is removed by etcd", () -> datastore.get(key) == null);
    }
}
