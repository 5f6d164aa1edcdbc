package dev.podswitch.dataplane.agent;

import dev.podswitch.dataplane.stats.DistinctErrorLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentGroupTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Works off a backlog the controller fills with plain (non-volatile) writes, passing some of
     * it on to the next agent, and fails loudly if it ever runs while the controller says it owns
     * the state: the contract that lets the emulated cluster start probes without locks.
     */
    private static final class BacklogAgent implements Agent
    {
        private final String name;
        private final AtomicInteger controllerOwns;
        private final Set<Thread> threads;
        private BacklogAgent next;
        private long backlog;
        private long done;
        private final AtomicLong pending = new AtomicLong();

        BacklogAgent(final String name, final AtomicInteger controllerOwns, final Set<Thread> threads)
        {
            this.name = name;
            this.controllerOwns = controllerOwns;
            this.threads = threads;
        }

        @Override
        public int doWork()
        {
            if (controllerOwns.get() != 0)
            {
                throw new AssertionError(name + " ran while the controller owned its state");
            }
            threads.add(Thread.currentThread());
            final long passedIn = pending.getAndSet(0);
            backlog += passedIn;
            if (backlog == 0)
            {
                return 0;
            }
            final long slice = Math.min(backlog, 32);
            backlog -= slice;
            done += slice;
            if (next != null && slice > 1)
            {
                next.pending.addAndGet(slice / 2);
            }
            return (int)slice;
        }

        boolean isIdle()
        {
            return backlog == 0 && pending.get() == 0;
        }

        @Override
        public String name()
        {
            return name;
        }
    }

    @ParameterizedTest(name = "{0} agents on {1} threads, {2}")
    @CsvSource({"5, 0, blocking", "20, 2, blocking", "20, 2, yield", "3, 1, busy-spin", "2, 8, blocking"})
    void shouldFinishAllWorkAndRunNoAgentOutsideRunUntilWhenThreaded(final int agentCount, final int threads,
        final String idle)
    {
        final AtomicInteger controllerOwns = new AtomicInteger(1);
        final Set<Thread> threadsSeen = ConcurrentHashMap.newKeySet();
        final List<BacklogAgent> agents = new ArrayList<>();
        for (int i = 0; i < agentCount; i++)
        {
            agents.add(new BacklogAgent("agent-" + i, controllerOwns, threadsSeen));
        }
        for (int i = 0; i < agentCount; i++)
        {
            agents.get(i).next = agents.get((i + 1) % agentCount);
        }
        final DistinctErrorLog errors = new DistinctErrorLog();
        try (AgentGroup group = new AgentGroup("group", agents, threads, IdleMode.ofLabel(idle), errors))
        {
            assertEquals(Math.min(threads, agentCount), group.threadCount());
            long expectedDone = 0;
            for (int round = 0; round < 200; round++)
            {
                // The controller's plain writes: visible to the agents once they are let through.
                for (final BacklogAgent agent : agents)
                {
                    agent.backlog += round % 7 + 1;
                }
                controllerOwns.set(0);
                assertTrue(group.runUntil(() -> agents.stream().allMatch(BacklogAgent::isIdle), TIMEOUT_NS));
                controllerOwns.set(1);
                expectedDone += agentCount * (round % 7 + 1L);
            }
            long done = 0;
            for (final BacklogAgent agent : agents)
            {
                assertTrue(agent.isIdle());
                done += agent.done;
            }
            assertTrue(done >= expectedDone, "did " + done + " of at least " + expectedDone);
            assertEquals(List.of(), errors.entries(), "no agent ran while the controller owned its state");
            assertEquals(0, group.errorCount());
            if (threads == 0)
            {
                assertEquals(Set.of(Thread.currentThread()), threadsSeen);
            }
            else
            {
                assertEquals(Math.min(threads, agentCount), threadsSeen.size());
                assertFalse(threadsSeen.contains(Thread.currentThread()));
            }
        }
        for (final Thread thread : threadsSeen)
        {
            assertTrue(thread == Thread.currentThread() || !thread.isAlive(), thread + " still alive after close");
        }
    }

    @Test
    void shouldReportATimeoutAndStopTheAgentsWhenNeverQuiescent() throws InterruptedException
    {
        final AtomicInteger cycles = new AtomicInteger();
        final Agent busy = new Agent()
        {
            @Override
            public int doWork()
            {
                return cycles.incrementAndGet() > 0 ? 1 : 0;
            }

            @Override
            public String name()
            {
                return "busy";
            }
        };
        try (AgentGroup group = new AgentGroup("group", List.of(busy), 1, IdleMode.BLOCKING, new DistinctErrorLog()))
        {
            assertFalse(group.runUntil(() -> false, TimeUnit.MILLISECONDS.toNanos(50)));
            final int stopped = cycles.get();
            assertTrue(stopped > 0);
            Thread.sleep(20);
            assertEquals(stopped, cycles.get(), "no cycle after runUntil returned");
        }
    }

    @Test
    void shouldRejectANegativeThreadCountNamingTheKnob()
    {
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> new AgentGroup("group", List.of(), -1, IdleMode.BLOCKING, new DistinctErrorLog()));
        assertTrue(bad.getMessage().startsWith("threads=-1 < 0"), bad.getMessage());
    }
}
