package dev.podswitch.scenarios.live;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.live.IpCommand;
import dev.podswitch.control.live.LiveLab;
import dev.podswitch.control.live.LivePod;
import dev.podswitch.scenarios.model.ContainerPort;
import dev.podswitch.scenarios.run.LabEndpoints;
import dev.podswitch.scenarios.run.ProbeOutcome;
import dev.podswitch.scenarios.run.RunListener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The live mode's endpoints: every pod and host is a network namespace behind a TAP port of its
 * node ({@link LiveLab}), its declared TCP, UDP and SCTP ports served by {@link ServedListeners}
 * (SCTP by a userspace responder where the kernel has no SCTP), and every probe made from inside
 * the source namespace ({@link LiveProbes}), at most {@value #CONCURRENT_PROBES} at once so that
 * the timeouts of denied probes overlap.
 *
 * <p>Cleanup: {@link #close()} stops the listeners and removes every namespace; a shutdown hook
 * deletes whatever namespaces are still there if the JVM ends first (Ctrl-C during a run).
 */
public final class LiveEndpoints implements LabEndpoints
{
    static final int CONCURRENT_PROBES = 32;

    private final LiveLab lab;
    private final Map<String, ServedListeners> listenersByName = new LinkedHashMap<>();
    private final Set<String> namespacesAlive = ConcurrentHashMap.newKeySet();
    private final Consumer<LiveEndpoints> onChange;
    private final ExecutorService pool;
    private final Thread cleanupHook;

    /** @param onChange told after every pod or host made or removed (e.g. to rewrite a state file). */
    public LiveEndpoints(final ClusterDataplane cluster, final Consumer<LiveEndpoints> onChange)
    {
        this.onChange = onChange;
        this.cleanupHook = new Thread(this::deleteNamespacesLeft, "psw-live-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        try
        {
            this.lab = new LiveLab(cluster);
        }
        catch (final RuntimeException failed)
        {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
            throw failed;
        }
        this.pool = Executors.newFixedThreadPool(CONCURRENT_PROBES, Thread.ofPlatform().daemon(true)
            .name("psw-probe-", 0).factory());
    }

    public LiveEndpoints(final ClusterDataplane cluster)
    {
        this(cluster, endpoints ->
        {
        });
    }

    public LiveLab lab()
    {
        return lab;
    }

    /** Every pod and host made so far, by pod key ({@code namespace/name}) or host name. */
    public Map<String, LivePod> members()
    {
        return lab.pods();
    }

    @Override
    public int attachPod(final String key, final String node, final int fixedIp, final List<ContainerPort> ports)
    {
        return serve(key, lab.addPod(key, node, fixedIp), ports).ip();
    }

    @Override
    public void attachHost(final String name, final String node, final int ip, final List<ContainerPort> serves)
    {
        serve(name, lab.addHost(name, node, ip), serves);
    }

    private LivePod serve(final String name, final LivePod pod, final List<ContainerPort> ports)
    {
        namespacesAlive.add(pod.namespace());
        try
        {
            LiveSupport.unlimitIcmpErrors(pod.namespace());
            listenersByName.put(name, ServedListeners.start(name, pod.namespace(), ports));
        }
        catch (final RuntimeException failed)
        {
            try
            {
                lab.removePod(name);
                namespacesAlive.remove(pod.namespace());
            }
            catch (final RuntimeException alsoFailed)
            {
                failed.addSuppressed(alsoFailed);
            }
            throw failed;
        }
        onChange.accept(this);
        return pod;
    }

    @Override
    public void detach(final String key)
    {
        final ServedListeners listeners = listenersByName.remove(key);
        if (listeners != null)
        {
            listeners.close();
        }
        final LivePod pod = lab.pods().get(key);
        lab.removePod(key);
        if (pod != null)
        {
            namespacesAlive.remove(pod.namespace());
        }
        onChange.accept(this);
    }

    @Override
    public List<ProbeOutcome> probe(final List<ProbeOutcome> planned, final RunListener listener)
    {
        if (planned.stream().anyMatch(plan -> plan.protocol() == dev.podswitch.dataplane.packet.IpProtocol.ICMP)
            && LiveProbes.pingMissing() != null)
        {
            throw new IllegalStateException("ICMP probes need ping: " + LiveProbes.pingMissing());
        }
        final List<Future<ProbeOutcome>> running = new ArrayList<>(planned.size());
        for (final ProbeOutcome plan : planned)
        {
            final LivePod from = member(plan.from());
            final LivePod to = member(plan.to());
            running.add(pool.submit(() -> LiveProbes.run(plan, from, to)));
        }
        final List<ProbeOutcome> outcomes = new ArrayList<>(planned.size());
        try
        {
            for (final Future<ProbeOutcome> probe : running)
            {
                outcomes.add(probe.get());
                listener.probesProgress(outcomes.size(), planned.size());
            }
        }
        catch (final InterruptedException interrupted)
        {
            running.forEach(probe -> probe.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing", interrupted);
        }
        catch (final ExecutionException failed)
        {
            running.forEach(probe -> probe.cancel(true));
            throw failed.getCause() instanceof final RuntimeException cause ? cause
                : new IllegalStateException(failed.getCause());
        }
        return outcomes;
    }

    private LivePod member(final String name)
    {
        final LivePod pod = lab.pods().get(name);
        if (pod == null)
        {
            throw new IllegalArgumentException(name + " is not a live pod or host of this lab");
        }
        return pod;
    }

    /** Namespaces this lab made and has not removed yet ({@code psw…}; each pod's link carries the same name). */
    public List<String> namespaces()
    {
        return lab.namespaces();
    }

    @Override
    public void close()
    {
        pool.shutdownNow();
        listenersByName.values().forEach(ServedListeners::close);
        listenersByName.clear();
        try
        {
            lab.close();
            namespacesAlive.clear();
        }
        finally
        {
            deleteNamespacesLeft();
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanupHook);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // Already shutting down: the hook runs or ran anyway.
            }
            onChange.accept(this);
        }
    }

    /**
     * Best effort: delete every namespace still listed (a TAP link goes with its namespace or its
     * fd). Synchronized: on SIGTERM the shutdown hook and the owner's close run at the same time.
     */
    private synchronized void deleteNamespacesLeft()
    {
        for (final String namespace : List.copyOf(namespacesAlive))
        {
            try
            {
                IpCommand.ip("netns", "delete", namespace);
            }
            catch (final RuntimeException alreadyGone)
            {
                // Removed meanwhile, or cannot be removed: `podswitch down --all` finds it.
            }
            namespacesAlive.remove(namespace);
        }
    }
}
