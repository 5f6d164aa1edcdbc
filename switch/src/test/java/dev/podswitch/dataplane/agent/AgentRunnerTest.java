package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.stats.DistinctErrorLog;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentRunnerTest
{
    static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldRunTheAgentOnANamedDaemonThreadUntilClosed()
    {
        final AtomicInteger cycles = new AtomicInteger();
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final Agent agent = new Agent()
        {
            @Override
            public int doWork()
            {
                ranOn.set(Thread.currentThread());
                cycles.incrementAndGet();
                return 0;
            }

            @Override
            public String name()
            {
                return "test-agent";
            }
        };
        final AgentRunner runner = new AgentRunner(agent, IdleMode.BLOCKING.newStrategy(), new DistinctErrorLog()).start();
        await(() -> cycles.get() > 10, "cycles");
        assertEquals("test-agent", ranOn.get().getName());
        assertTrue(ranOn.get().isDaemon());

        runner.close();
        assertFalse(runner.thread().isAlive());
        final int afterClose = cycles.get();
        assertEquals(afterClose, cycles.get());
    }

    @Test
    void shouldCountAndLogOnceAndKeepLoopingWhenTheAgentThrows()
    {
        final AtomicInteger cycles = new AtomicInteger();
        final Agent agent = new Agent()
        {
            @Override
            public int doWork()
            {
                if (cycles.incrementAndGet() % 2 == 0)
                {
                    throw new IllegalStateException("every other cycle");
                }
                return 1;
            }

            @Override
            public String name()
            {
                return "flaky";
            }
        };
        final DistinctErrorLog errors = new DistinctErrorLog();
        try (AgentRunner runner = new AgentRunner(agent, IdleMode.YIELD.newStrategy(), errors).start())
        {
            await(() -> runner.errorCount() >= 5, "errors");
            assertTrue(runner.thread().isAlive());
            await(() -> cycles.get() > 20, "cycles after errors");
        }
        assertEquals(1, errors.entries().size(), "one distinct error");
        assertTrue(errors.entries().getFirst().count() >= 5);
    }
}
