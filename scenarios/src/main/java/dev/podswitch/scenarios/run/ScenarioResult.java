package dev.podswitch.scenarios.run;

import java.nio.file.Path;
import java.util.List;

/** Everything a run produced: the cluster as it was built, and every step's probes. */
public record ScenarioResult(Path file, String name, String description, List<NodeInfo> nodes, List<StepResult> steps,
    DataplaneSummary dataplane)
{
    /** A node as built: its pod CIDR, gateway and VTEP. */
    public record NodeInfo(String name, String podCidr, String gateway, String vtep)
    {
    }

    /** Frame accounting over all nodes, to show where packets went, and what connection tracking did. */
    public record DataplaneSummary(long received, long forwarded, long answered, java.util.Map<String, Long> drops,
        Connections connections)
    {
    }

    /** Connection tracking over all nodes: tracked connections started, packets that hit one, related ICMP errors. */
    public record Connections(long tracked, long hits, long related, long insertFailures, long evictions)
    {
    }

    public long mismatches()
    {
        return steps.stream().mapToLong(StepResult::mismatches).sum();
    }

    public long probeCount()
    {
        return steps.stream().mapToLong(step -> step.probes().size()).sum();
    }
}
