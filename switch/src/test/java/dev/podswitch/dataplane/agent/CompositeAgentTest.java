package dev.podswitch.dataplane.agent;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompositeAgentTest
{
    /** Does {@code work} per call and records the order it was called in. */
    private record CountingAgent(String name, int work, List<String> calls) implements Agent
    {
        @Override
        public int doWork()
        {
            calls.add(name);
            return work;
        }
    }

    @Test
    void shouldCallEveryAgentOncePerCycleAndSumTheirWork() throws Exception
    {
        final List<String> calls = new ArrayList<>();
        final CompositeAgent composite = new CompositeAgent("all", List.of(new CountingAgent("a", 1, calls),
            new CountingAgent("b", 0, calls), new CountingAgent("c", 5, calls)));

        assertEquals(6, composite.doWork());
        assertEquals(List.of("a", "b", "c"), calls);
    }

    @Test
    void shouldStartEachCycleWithTheNextAgentWhenCyclingRoundRobin() throws Exception
    {
        final List<String> calls = new ArrayList<>();
        final CompositeAgent composite = new CompositeAgent("all", List.of(new CountingAgent("a", 0, calls),
            new CountingAgent("b", 0, calls), new CountingAgent("c", 0, calls)));

        for (int i = 0; i < 4; i++)
        {
            composite.doWork();
        }
        assertEquals(List.of("a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"), calls);
    }

    @Test
    void shouldStillRunAgentsBehindOneThatAlwaysThrowsWhenCycling()
    {
        final List<String> calls = new ArrayList<>();
        final Agent broken = new Agent()
        {
            @Override
            public int doWork()
            {
                throw new IllegalStateException("bug");
            }

            @Override
            public String name()
            {
                return "broken";
            }
        };
        final CompositeAgent composite = new CompositeAgent("all", List.of(broken, new CountingAgent("after", 1, calls)));

        for (int i = 0; i < 4; i++)
        {
            assertThrows(IllegalStateException.class, composite::doWork);
        }
        assertTrue(calls.size() >= 2, "the agent behind a failing one ran " + calls.size() + " times in 4 cycles");
    }

    @Test
    void shouldRefuseAnEmptyComposite()
    {
        assertThrows(IllegalArgumentException.class, () -> new CompositeAgent("none", List.of()));
    }
}
