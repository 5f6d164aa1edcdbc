package dev.podswitch.cli;

import dev.podswitch.agent.api.ApiServer;
import dev.podswitch.agent.api.ControlApi;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.agent.capture.CaptureTargets;
import dev.podswitch.agent.metrics.AgentMetrics;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.live.LiveEndpoints;
import dev.podswitch.scenarios.live.LiveMode;
import dev.podswitch.scenarios.live.LabStateFile;
import dev.podswitch.scenarios.report.TerminalProgress;
import dev.podswitch.scenarios.run.Lab;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

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

    /**
     * Runs until shutdown; returns once everything made is removed again.
     *
     * @param metricsAddress where to serve Prometheus {@code /metrics} for every node of the lab, or null.
     */
    public static void serve(final Scenario scenario, final ClusterOptions.Underlay underlay, final IdleMode idle,
        final Path stateDirectory, final InetSocketAddress metricsAddress, final PrintStream out)
    {
        serve(scenario, underlay, idle, stateDirectory, metricsAddress, out, new CountDownLatch(1));
    }

    /** Without metrics, stopping when {@code stop} opens. */
    static void serve(final Scenario scenario, final ClusterOptions.Underlay underlay, final IdleMode idle,
        final Path stateDirectory, final PrintStream out, final CountDownLatch stop)
    {
        serve(scenario, underlay, idle, stateDirectory, null, out, stop);
    }

    /** As {@link #serve(Scenario, ClusterOptions.Underlay, IdleMode, Path, InetSocketAddress, PrintStream)}, also stopping when {@code stop} opens. */
    static void serve(final Scenario scenario, final ClusterOptions.Underlay underlay, final IdleMode idle,
        final Path stateDirectory, final InetSocketAddress metricsAddress, final PrintStream out,
        final CountDownLatch stop)
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
        final AtomicReference<String> socket = new AtomicReference<>();
        final AtomicReference<String> apiSocket = new AtomicReference<>();
        new LabStateFile(pid, scenarioName, List.of()).write(stateDirectory);
        // Many pods take a while (a namespace, a TAP and a listener each): show it on a terminal.
        final TerminalProgress progress = TerminalProgress.onTerminal("bringing up pods and hosts",
            scenario.pods().size() + scenario.hosts().size(), 20);
        try (Lab lab = new Lab(scenario, underlay, LiveMode.threads(scenario, 0), idle, LiveMode::liveFrames,
            cluster -> new LiveEndpoints(cluster, endpoints ->
            {
                new LabStateFile(pid, scenarioName, endpoints.namespaces(), socket.get(), apiSocket.get())
                    .write(stateDirectory);
                progress.update(endpoints.namespaces().size());
            })))
        {
            progress.finish();
            final LiveEndpoints endpoints = (LiveEndpoints)lab.endpoints();
            final AgentMetrics metrics = metricsAddress == null ? null : startMetrics(lab, metricsAddress, out);
            final CaptureServer captures = startCaptures(lab, LabStateFile.socketFor(stateDirectory, pid), out);
            final ApiServer api = startApi(lab, scenarioName, LabStateFile.apiSocketFor(stateDirectory, pid),
                captures == null ? null : captures.path(), metrics, out);
            try
            {
                if (captures != null)
                {
                    socket.set(captures.path().toString());
                }
                if (api != null)
                {
                    apiSocket.set(api.socket().toString());
                }
                new LabStateFile(pid, scenarioName, endpoints.namespaces(), socket.get(), apiSocket.get())
                    .write(stateDirectory);
                print(scenario, lab, stateDirectory, pid, captures != null, api, metrics, out);
                stop.await();
                out.println("podswitch: stopping; removing the namespaces and links");
            }
            finally
            {
                // Captures end first (their clients are told why), while the nodes still run.
                socket.set(null);
                apiSocket.set(null);
                if (api != null)
                {
                    api.close();
                }
                if (captures != null)
                {
                    captures.close();
                }
                if (metrics != null)
                {
                    metrics.close();
                }
            }
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
                Files.deleteIfExists(LabStateFile.socketFor(stateDirectory, pid));
                Files.deleteIfExists(LabStateFile.apiSocketFor(stateDirectory, pid));
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

    /** Prometheus metrics of every node of the lab and of its policy compiles; null (said why) if it cannot listen. */
    private static AgentMetrics startMetrics(final Lab lab, final InetSocketAddress address, final PrintStream out)
    {
        try
        {
            final AgentMetrics metrics = AgentMetrics.forLab(address, () -> lab.cluster().nodes().values());
            lab.model().compileTimer(metrics.policyCompiles());
            return metrics;
        }
        catch (final java.io.IOException failed)
        {
            out.println("podswitch: no Prometheus metrics for this lab: " + failed.getMessage());
            return null;
        }
    }

    /** The capture endpoint for every pod, host and tunnel port of the lab; null (said why) if it cannot listen. */
    private static CaptureServer startCaptures(final Lab lab, final Path socket, final PrintStream out)
    {
        final ClusterDataplane cluster = lab.cluster();
        final Map<String, CaptureServer.Target> pods = new LinkedHashMap<>();
        for (final Map.Entry<String, LivePod> member : ((LiveEndpoints)lab.endpoints()).members().entrySet())
        {
            final LivePod pod = member.getValue();
            pods.put(member.getKey(), new CaptureServer.Target(member.getKey(), pod.interfaceName(), pod.nodeName(),
                cluster.node(pod.nodeName()).datapath(), pod.port().id(), false, 0, 0));
        }
        try
        {
            return CaptureServer.start(socket, pods, CaptureTargets.tunnels(cluster));
        }
        catch (final UncheckedIOException failed)
        {
            out.println("podswitch: `podswitch capture` will not work for this lab: " + failed.getMessage());
            return null;
        }
    }

    /**
     * The control API over the lab's cluster model — the daemon's own server, so get, apply, label
     * and status work on a lab exactly as on an agent; null (said why) if it cannot listen.
     */
    private static ApiServer startApi(final Lab lab, final String scenarioName, final Path socket,
        final Path captureSocket, final AgentMetrics metrics, final PrintStream out)
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        status.put("lab", scenarioName);
        status.put("pid", ProcessHandle.current().pid());
        status.put("apiSocket", socket.toString());
        if (captureSocket != null)
        {
            status.put("captureSocket", captureSocket.toString());
        }
        if (metrics != null)
        {
            status.put("metricsAddress", metrics.hostAndPort());
        }
        final ControlApi control = new ControlApi(lab.model(), () -> lab.cluster().nodes().values(), () -> status);
        try
        {
            return ApiServer.start(control, ApiServer.Listen.socket(socket), ApiServer.Limits.DEFAULT);
        }
        catch (final java.io.IOException | RuntimeException failed)
        {
            out.println("podswitch: `podswitch get/apply/label` will not work for this lab: " + failed.getMessage());
            return null;
        }
    }

    private static void print(final Scenario scenario, final Lab lab, final Path stateDirectory, final long pid,
        final boolean captures, final ApiServer api, final AgentMetrics metrics, final PrintStream out)
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
        out.println("  UDP: it echoes the peer address; SCTP: an INIT is answered with INIT ACK, or ABORT on a closed");
        out.println("  port — by the kernel's SCTP if it has one, else by podswitch's handshake responder over a raw");
        out.println("  socket). For example, from the first pod:");
        final LivePod first = members.values().iterator().next();
        out.println("    ip netns exec " + first.namespace() + " ping -c 1 <ip>");
        out.println();
        if (captures)
        {
            out.println("  Capture a pod's frames from another terminal (Ctrl-C ends it), then read them with tshark:");
            final String example = members.keySet().stream().filter(key -> key.contains("/")).findFirst()
                .orElse(members.keySet().iterator().next());
            final String where = stateDirectory.equals(LabStateFile.defaultDirectory()) ? ""
                : " --state-dir " + stateDirectory;
            out.println("    podswitch capture --pod " + example + " -w pod.pcap" + where);
            out.println("    podswitch capture --tunnel " + lab.cluster().nodes().keySet().iterator().next()
                + " -w tunnel.pcap" + where + "      # a node's VXLAN tunnel port, both ways");
            out.println("    tshark -r pod.pcap");
            out.println();
        }
        if (api != null)
        {
            out.println("  Change the lab as you would a cluster (its control API: " + api.socket() + "):");
            out.println("    podswitch get pods -o wide");
            out.println("    podswitch apply -f policy.yaml          # NetworkPolicy in force for new connections at once");
            out.println("    podswitch label pod " + members.keySet().stream().filter(key -> key.contains("/")).findFirst()
                .orElse("default/NAME") + " role=db");
            out.println();
        }
        if (metrics != null)
        {
            out.println("  Prometheus metrics of every node (no authentication; docs/observability.md):");
            out.println("    curl -s " + metrics.url());
            out.println();
        }
        out.println("  State file: " + LabStateFile.fileFor(stateDirectory, pid));
        out.println("  Ctrl-C (or `podswitch down` in another terminal) tears everything down.");
        out.flush();
    }
}
