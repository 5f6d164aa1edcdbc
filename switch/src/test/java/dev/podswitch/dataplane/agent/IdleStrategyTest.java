package dev.podswitch.dataplane.agent;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleStrategyTest
{
    @Test
    void shouldNameEveryModeAsTheCliDoes()
    {
        assertEquals(IdleMode.BUSY_SPIN, IdleMode.ofLabel("busy-spin"));
        assertEquals(IdleMode.YIELD, IdleMode.ofLabel("yield"));
        assertEquals(IdleMode.BLOCKING, IdleMode.ofLabel("BLOCKING"));
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> IdleMode.ofLabel("nap"));
        assertTrue(bad.getMessage().contains("[busy-spin, yield, blocking]"), bad.getMessage());
    }

    @Test
    void shouldGiveEachThreadItsOwnStrategy()
    {
        for (final IdleMode mode : IdleMode.values())
        {
            assertTrue(mode.newStrategy() != mode.newStrategy(), mode.label());
        }
    }

    @Test
    void shouldParkNoLongerThanTheMaximumWhenIdleForLong()
    {
        final BackoffIdleStrategy backoff = new BackoffIdleStrategy(1, 1, 1_000, 200_000);
        for (int i = 0; i < 40; i++)
        {
            backoff.idle(0);
        }
        final long startNs = System.nanoTime();
        final int periods = 20;
        for (int i = 0; i < periods; i++)
        {
            backoff.idle(0);
        }
        final long perIdleNs = (System.nanoTime() - startNs) / periods;
        // parkNanos may return early, and a loaded machine wakes late: only a gross overshoot fails.
        assertTrue(perIdleNs < TimeUnit.MILLISECONDS.toNanos(20), "one idle took " + perIdleNs + " ns");
    }

    @Test
    void shouldStartFromSpinningAgainWhenWorkIsDone()
    {
        final BackoffIdleStrategy backoff = new BackoffIdleStrategy(1_000, 0, 1_000_000_000, 1_000_000_000);
        for (int i = 0; i < 1_000; i++)
        {
            backoff.idle(0);
        }
        backoff.idle(3);
        final long startNs = System.nanoTime();
        backoff.idle(0);
        assertTrue(System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(500), "spun, did not park for 1 s");
    }

    @Test
    void shouldRejectAParkRangeThatIsUpsideDown()
    {
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> new BackoffIdleStrategy(1, 1, 2_000, 1_000));
        assertTrue(bad.getMessage().contains("minParkPeriodNs=2000"), bad.getMessage());
    }
}
