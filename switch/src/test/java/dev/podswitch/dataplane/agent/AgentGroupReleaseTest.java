package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.stats.DistinctErrorLog;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live mode of an agent group: released runners keep working between the controller's calls. */
class AgentGroupReleaseTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private static Agent counting(final AtomicLong cycles)
    {
        return new Agent()
        {
            @Override
            public int doWork()
            {
                cycles.incrementAndGet();
                return 0;
            }

            @Override
            public String name()
            {
                return "counting";
            }
        };
    }

    private static void awaitMoreThan(final AtomicLong cycles, final long floor) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        while (cycles.get() <= floor && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(1);
        }
    }

    @Test
    void shouldKeepRunningBetweenCallsWhenReleasedAndStopWhenHeld() throws InterruptedException
    {
        final AtomicLong cycles = new AtomicLong();
        try (AgentGroup group = new AgentGroup("g", List.of(counting(cycles)), 1, IdleMode.BLOCKING,
            new DistinctErrorLog()))
        {
            Thread.sleep(20);
            assertEquals(0, cycles.get(), "a group starts held: nothing runs before the first call");
            group.release();
            assertTrue(group.isReleased());
            awaitMoreThan(cycles, 10);
            assertTrue(cycles.get() > 10, "released runners cycle on their own: " + cycles.get());

            assertTrue(group.runUntil(() -> true, TIMEOUT_NS));
            final long afterRun = cycles.get();
            awaitMoreThan(cycles, afterRun);
            assertTrue(cycles.get() > afterRun, "runUntil leaves released runners running");

            group.hold();
            assertFalse(group.isReleased());
            final long held = cycles.get();
            Thread.sleep(20);
            assertEquals(held, cycles.get(), "held runners do no work");
        }
    }

    @Test
    void shouldRefuseToReleaseWhenAgentsRunOnTheCallersThread()
    {
        try (AgentGroup group = new AgentGroup("g", List.of(counting(new AtomicLong())), 0, IdleMode.BLOCKING,
            new DistinctErrorLog()))
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class, group::release);
            assertTrue(refused.getMessage().contains("threads >= 1"), refused.getMessage());
        }
    }
}
