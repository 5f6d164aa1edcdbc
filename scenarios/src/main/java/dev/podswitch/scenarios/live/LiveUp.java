package dev.podswitch.scenarios.live;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.Lab;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code podswitch up}: a scenario's cluster with its namespaces, hosts and pods live, in the
 * scenario's initial state — before any step's actions, so no NetworkPolicy yet: everything may
 * talk — serving until the JVM is asked to end (Ctrl-C, SIGTERM, {@code podswitch down}), then
 * torn down. A state file lists the namespaces while it runs.
 */
public final class LiveUp
{
    /** How long the shutdown hook waits for the teardown (a namespace delete takes milliseconds). */
    private static final long TEARDOWN_WAIT_S = 20;

    private LiveUp()
    {
    }

    /** Runs until shutdown; returns once everything made is removed again. */
    public static void serve(final Scenario scenario, final ClusterOptions.Underlay underlay, final IdleMode idle,
        final Path stateDirectory, final PrintStream out)
    {
        serve(scenario, underlay, idle, stateDirectory, out, new CountDownLatch(1));
    }

    /** As {@link #serve(Scenario, ClusterOptions.Underlay, Path, PrintStream)}, also stopping when {@code stop} opens. */
    static void serve(final Scenario scenario, final ClusterOptions.Underlay underlay, final IdleMode idle,
        final Path stateDirectory, final PrintStream out, final CountDownLatch stop)
    {
        final long pid = ProcessHandle.current().pid();
        final String scenarioName = scenario.file().toString();
        final CountDownLatch tornDown = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stop.countDown();
            try
            {
                tornDown.await(TEARDOWN_WAIT_S, TimeUnit.SECONDS);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }, "psw-up-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        new LabStateFile(pid, scenarioName, java.util.List.of()).write(stateDirectory);
        try (Lab lab = new Lab(scenario, underlay, LiveMode.threads(scenario, 0), idle, LiveMode::liveFrames,
            cluster -> new LiveEndpoints(cluster, endpoints ->
                new LabStateFile(pid, scenarioName, endpoints.namespaces()).write(stateDirectory))))
        {
            print(scenario, lab, stateDirectory, pid, out);
            stop.await();
            out.println("podswitch: stopping; removing the namespaces and links");
        }
        catch (final InterruptedException interrupted)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            try
            {
                Files.deleteIfExists(LabStateFile.fileFor(stateDirectory, pid));
            }
            catch (final java.io.IOException ignored)
            {
                // down removes a stale state file.
            }
            tornDown.countDown();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // The hook is what woke us up.
            }
        }
    }

    private static void print(final Scenario scenario, final Lab lab, final Path stateDirectory, final long pid,
        final PrintStream out)
    {
        final Map<String, LivePod> members = ((LiveEndpoints)lab.endpoints()).members();
        out.println("podswitch: " + scenario.name() + " is up (initial state: before any step, no NetworkPolicy yet)");
        out.println();
        out.printf("  %-24s %-10s %-15s %s%n", "POD / HOST", "NODE", "IP", "ENTER WITH");
        for (final LivePod pod : members.values())
        {
            out.printf("  %-24s %-10s %-15s ip netns exec %s bash%n", pod.name(), pod.nodeName(), pod.ipText(),
                pod.namespace());
        }
        out.println();
        out.println("  Served ports answer real connections (TCP: the listener writes the peer address and closes;");
        out.println("  UDP: it echoes the peer address). For example, from the first pod:");
        final LivePod first = members.values().iterator().next();
        out.println("    ip netns exec " + first.namespace() + " ping -c 1 <ip>");
        out.println();
        out.println("  State file: " + LabStateFile.fileFor(stateDirectory, pid));
        out.println("  Ctrl-C (or `podswitch down` in another terminal) tears everything down.");
        out.flush();
    }
}
