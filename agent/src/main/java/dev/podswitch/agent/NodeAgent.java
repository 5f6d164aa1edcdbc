package dev.podswitch.agent;

import dev.podswitch.agent.api.ApiServer;
import dev.podswitch.agent.api.ControlApi;
import dev.podswitch.agent.capture.CaptureServer;
import dev.podswitch.agent.capture.CaptureTargets;
import dev.podswitch.agent.cni.AttachmentStore;
import dev.podswitch.agent.cni.CniAgent;
import dev.podswitch.agent.cni.CniAttachment;
import dev.podswitch.agent.cni.CniHandler;
import dev.podswitch.agent.cni.CniRecovery;
import dev.podswitch.agent.cni.CniRequestListener;
import dev.podswitch.agent.cni.LivePodNetwork;
import dev.podswitch.agent.metrics.AgentMetrics;
import dev.podswitch.agent.multihost.MultiHostNode;
import dev.podswitch.agent.multihost.MultiHostOptions;
import dev.podswitch.agent.state.ClusterStateStore;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.ipam.IpamStore;
import dev.podswitch.ipam.store.FileIpamStore;
import dev.podswitch.util.Closeables;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code podswitch agent}: the node daemon, as a systemd unit or a DaemonSet would run it. It serves
 * a cluster — one node built in code ({@link DefaultCluster}), or one handed to it — with IPAM and
 * the cluster model's state in its state directory, the CNI plugin on one Unix socket and the
 * control API on another, until it is closed. Closing keeps the CNI pods' interfaces and IP
 * leases for the next run.
 *
 * <p>Start-up is ordered so that no restart opens a window: the policies and namespaces the last
 * run acknowledged are in force (compiled and published) before the first pod is re-attached,
 * and a kept state that cannot be read stops the start rather than starting open.
 *
 * <p>Why this file is over 400 lines: start-up is one ordered sequence — the state directory's
 * lock and state, the policies restored and published before any pod is re-attached, then the CNI
 * and API sockets, captures and metrics — with the options and status it serves; split, the order
 * that makes a restart fail closed would no longer read in one place.
 */
public final class NodeAgent implements AutoCloseable
{
    public static final String IPAM_DIRECTORY = "ipam";
    static final String LOCK_FILE = "agent.lock";
    public static final String DEFAULT_API_SOCKET = "/run/podswitch/api.sock";
    static final String CAPTURE_SOCKET = "capture.sock";
    static final String DEFAULT_NAMESPACE = "default";

    /**
     * @param socket    the CNI plugin's socket.
     * @param apiSocket the control API's socket.
     * @param apiTcp    a loopback address for the API over TCP, or null; needs {@code apiTokenFile}.
     */
    /**
     * @param multiHost      this host's node in a cluster kept in etcd, or null for a single host (state
     *                       in the state directory only).
     * @param metricsAddress where to serve Prometheus {@code /metrics} (no authentication: loopback or a
     *                       trusted network), or null for none.
     */
    public record Options(Path stateDirectory, Path socket, Path apiSocket, InetSocketAddress apiTcp, Path apiTokenFile,
        ClusterOptions.Underlay underlay, IdleMode idle, Limits limits, MultiHostOptions multiHost,
        InetSocketAddress metricsAddress)
    {
        /** Without metrics. */
        public Options(final Path stateDirectory, final Path socket, final Path apiSocket, final InetSocketAddress apiTcp,
            final Path apiTokenFile, final ClusterOptions.Underlay underlay, final IdleMode idle, final Limits limits,
            final MultiHostOptions multiHost)
        {
            this(stateDirectory, socket, apiSocket, apiTcp, apiTokenFile, underlay, idle, limits, multiHost, null);
        }

        /** With the default limits. */
        public Options(final Path stateDirectory, final Path socket, final Path apiSocket, final InetSocketAddress apiTcp,
            final Path apiTokenFile, final ClusterOptions.Underlay underlay, final IdleMode idle)
        {
            this(stateDirectory, socket, apiSocket, apiTcp, apiTokenFile, underlay, idle, Limits.DEFAULT);
        }

        /** A single host. */
        public Options(final Path stateDirectory, final Path socket, final Path apiSocket, final InetSocketAddress apiTcp,
            final Path apiTokenFile, final ClusterOptions.Underlay underlay, final IdleMode idle, final Limits limits)
        {
            this(stateDirectory, socket, apiSocket, apiTcp, apiTokenFile, underlay, idle, limits, null);
        }
    }

    /**
     * Every bound of the daemon, each answered with an error when reached rather than with an
     * out-of-memory agent: the cluster model's size, the control API's bodies and connections,
     * captures at once, and the ring memory of its node (slots of 64 KiB each).
     */
    public record Limits(ClusterModel.Limits model, ApiServer.Limits api, int maxCaptures, int ringSlots)
    {
        public static final Limits DEFAULT = new Limits(ClusterModel.Limits.DEFAULT, ApiServer.Limits.DEFAULT,
            CaptureServer.MAX_CONNECTIONS, DefaultCluster.LIVE_RING_SIZE);

        public Limits
        {
            if (maxCaptures < 1)
            {
                throw new IllegalArgumentException("--max-captures must be at least 1, got " + maxCaptures);
            }
            if (ringSlots < 2 || Integer.bitCount(ringSlots) != 1)
            {
                throw new IllegalArgumentException("--ring-slots must be a power of two of at least 2 (a Disruptor ring), got "
                    + ringSlots);
            }
        }
    }

    /** Makes the cluster to serve, with IPAM on the agent's store (so leases outlive restarts). */
    @FunctionalInterface
    public interface ClusterFactory
    {
        ServedCluster create(IpamStore ipam) throws Exception;
    }

    private final ServedCluster cluster;
    private final MultiHostNode multiHost;
    private final LivePodNetwork network;
    private final AttachmentStore attachments;
    private final CniAgent cni;
    private final ApiServer api;
    private final CaptureServer captures;
    /** Null without {@link Options#metricsAddress()}. */
    private final AgentMetrics metrics;
    /** Held while the agent runs: its lock on the state directory. */
    private final FileChannel lock;

    private NodeAgent(final ServedCluster cluster, final MultiHostNode multiHost, final LivePodNetwork network,
        final AttachmentStore attachments, final CniAgent cni, final ApiServer api, final CaptureServer captures,
        final AgentMetrics metrics, final FileChannel lock)
    {
        this.metrics = metrics;
        this.multiHost = multiHost;
        this.captures = captures;
        this.cluster = cluster;
        this.network = network;
        this.attachments = attachments;
        this.cni = cni;
        this.api = api;
        this.lock = lock;
    }

    /** An agent serving the one-node cluster built in code, or with {@link Options#multiHost()} its node of the etcd cluster. */
    public static NodeAgent start(final Options options, final PrintStream log) throws Exception
    {
        return start(options, log, ipam -> DefaultCluster.oneNode(ipam, options.underlay(), options.idle(),
            options.limits().model(), options.limits().ringSlots()));
    }

    /** An agent serving the cluster {@code factory} makes (ignored with {@link Options#multiHost()}: the datastore's). */
    public static NodeAgent start(final Options options, final PrintStream log, final ClusterFactory factory)
        throws Exception
    {
        Files.createDirectories(options.stateDirectory());
        // One agent per state directory, checked before anything is touched: a second one would
        // otherwise fail to open the first one's devices and take that for pods that are gone.
        final FileChannel lockChannel = FileChannel.open(options.stateDirectory().resolve(LOCK_FILE),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held;
        try
        {
            held = lockChannel.tryLock();
        }
        catch (final OverlappingFileLockException heldInThisJvm)
        {
            held = null;
        }
        if (held == null)
        {
            lockChannel.close();
            throw new IOException("another podswitch agent is using " + options.stateDirectory());
        }
        try
        {
            if (CniAgent.answers(options.socket()))
            {
                throw new IOException("another podswitch agent is serving " + options.socket());
            }
            if (options.multiHost() == null)
            {
                return start(options, log, factory, null, lockChannel);
            }
            final MultiHostNode multiHost = MultiHostNode.connect(options.multiHost(), log);
            try
            {
                return start(options, log, ipam -> multiHost.serve(ipam, options.idle(), options.limits().model(),
                    options.limits().ringSlots()), multiHost, lockChannel);
            }
            catch (final Exception | Error failed)
            {
                multiHost.close();
                throw failed;
            }
        }
        catch (final Exception | Error failed)
        {
            lockChannel.close();
            throw failed;
        }
    }

    private static NodeAgent start(final Options options, final PrintStream log, final ClusterFactory factory,
        final MultiHostNode multiHost, final FileChannel lockChannel) throws Exception
    {
        final ClusterStateStore kept = new ClusterStateStore(options.stateDirectory());
        final ClusterStateStore.State state = kept.load();
        final ServedCluster cluster = factory.create(new FileIpamStore(options.stateDirectory().resolve(IPAM_DIRECTORY)));
        CniAgent cni = null;
        CaptureServer captures = null;
        AgentMetrics metrics = null;
        try
        {
            final ClusterModel model = cluster.model();
            if (options.metricsAddress() != null)
            {
                // Before the restore, so that its compile is the histogram's first.
                metrics = AgentMetrics.forAgent(options.metricsAddress(), () -> cluster.dataplane().nodes().values());
                model.compileTimer(metrics.policyCompiles());
            }
            final int restored = restore(model, state);
            if (restored > 0)
            {
                log.println("podswitch agent: " + restored + " NetworkPolic" + (restored == 1 ? "y" : "ies")
                    + " applied by a previous run in force again");
            }
            model.journal(kept);
            final LivePodNetwork network = new LivePodNetwork(cluster.dataplane(), model, state.podLabels(),
                multiHost == null ? 0 : multiHost.podMtu());
            final AttachmentStore attachments = new AttachmentStore(options.stateDirectory());
            // Before the socket serves: what a previous run left half-done is put right first.
            CniRecovery.recover(network, attachments, log);
            cni = new CniAgent(options.socket(), new CniHandler(network, attachments), log, CniAgent.Limits.DEFAULT,
                metrics == null ? CniRequestListener.NONE : metrics.cniRequests()).start();
            final AgentMetrics metricsServer = metrics;
            final CniAgent cniServer = cni;
            if (multiHost != null)
            {
                // The datastore's state replaces the cached one before the API answers; pods already
                // attached are written into it from now on.
                multiHost.startSync(model, cluster.dataplane(), cniServer::asDriver);
            }
            // Pods come and go with CNI requests: the capture targets are looked up as the driver, per request.
            captures = CaptureServer.start(captureSocketFor(options.apiSocket()), () ->
            {
                final List<Map<String, CaptureServer.Target>> found = new ArrayList<>(1);
                cniServer.asDriver(() -> found.add(CaptureTargets.pods(model.snapshot(), cluster.dataplane())));
                return found.getFirst();
            }, () -> CaptureTargets.tunnels(cluster.dataplane()), options.limits().maxCaptures());
            final Path captureSocket = captures.path();
            final ControlApi control = multiHost == null
                ? new ControlApi(model, () -> cluster.dataplane().nodes().values(),
                    () -> status(options, cniServer, attachments, captureSocket, metricsServer))
                : new ControlApi(model, multiHost.writer(model), () -> cluster.dataplane().nodes().values(),
                    multiHost::nodes, () ->
                    {
                        final Map<String, Object> status = status(options, cniServer, attachments, captureSocket,
                            metricsServer);
                        status.put("datastore", multiHost.status());
                        return status;
                    });
            final ApiServer api = ApiServer.start(control,
                new ApiServer.Listen(options.apiSocket(), options.apiTcp(), options.apiTokenFile()), options.limits().api());
            return new NodeAgent(cluster, multiHost, network, attachments, cni, api, captures, metrics, lockChannel);
        }
        catch (final Exception | Error failed)
        {
            Closeables.closeQuietly(metrics, failed);
            Closeables.closeQuietly(captures, failed);
            Closeables.closeQuietly(cni, failed);
            Closeables.closeQuietly(cluster, failed);
            throw failed;
        }
    }

    /** Namespaces and policies the last run acknowledged, in force before any pod is attached; returns the policy count. */
    private static int restore(final ClusterModel model, final ClusterStateStore.State state)
        throws IOException, ModelException
    {
        final List<ClusterChange> changes = new ArrayList<>();
        if (!model.snapshot().namespaces().containsKey(DEFAULT_NAMESPACE) && !state.namespaces().containsKey(DEFAULT_NAMESPACE))
        {
            changes.add(new ClusterChange.PutNamespace(DEFAULT_NAMESPACE, Map.of()));
        }
        changes.addAll(ClusterStateStore.restoring(state));
        if (!changes.isEmpty())
        {
            try
            {
                model.apply(changes);
            }
            catch (final ModelException refused)
            {
                throw new IOException("the kept cluster state does not apply any more, so the agent does not start "
                    + "(it would start without policies it acknowledged): " + refused.getMessage(), refused);
            }
        }
        return state.networkPolicies().size();
    }

    /** The capture socket lives beside the API socket: {@code api.sock} → {@code capture.sock}. */
    static Path captureSocketFor(final Path apiSocket)
    {
        return apiSocket.toAbsolutePath().resolveSibling(CAPTURE_SOCKET);
    }

    private static Map<String, Object> status(final Options options, final CniAgent cni,
        final AttachmentStore attachments, final Path captureSocket, final AgentMetrics metrics)
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        status.put("stateDirectory", options.stateDirectory().toString());
        status.put("cniSocket", options.socket().toString());
        status.put("apiSocket", options.apiSocket().toString());
        status.put("captureSocket", captureSocket.toString());
        if (metrics != null)
        {
            status.put("metricsAddress", metrics.hostAndPort());
        }
        status.put("cniRequestsServed", cni.servedCount());
        final List<Map<String, Object>> listed = new ArrayList<>();
        for (final CniAttachment attachment : attachments.all())
        {
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("containerId", attachment.containerId());
            entry.put("ifName", attachment.ifName());
            entry.put("pod", attachment.podKey());
            entry.put("ip", attachment.ip());
            entry.put("netns", attachment.netns());
            listed.add(entry);
        }
        status.put("cniAttachments", listed);
        return status;
    }

    public ServedCluster cluster()
    {
        return cluster;
    }

    public AttachmentStore attachments()
    {
        return attachments;
    }

    public CniAgent server()
    {
        return cni;
    }

    public ApiServer api()
    {
        return api;
    }

    /** The Prometheus endpoint, or null when the agent serves none. */
    public AgentMetrics metrics()
    {
        return metrics;
    }

    /** Stops serving; CNI pods keep their interfaces (persistent TAPs) and IP leases for the next run. */
    @Override
    public void close()
    {
        try
        {
            if (metrics != null)
            {
                metrics.close();
            }
            api.close();
            captures.close();
            cni.close();
        }
        finally
        {
            try
            {
                // As the driver: no request may be half-way through the cluster meanwhile.
                cni.asDriver(network::closeKeepingInterfaces);
            }
            finally
            {
                try
                {
                    cluster.close();
                }
                catch (final Exception failed)
                {
                    throw new IllegalStateException("closing the cluster failed: " + failed.getMessage(), failed);
                }
                finally
                {
                    try
                    {
                        lock.close();
                    }
                    catch (final IOException ignored)
                    {
                        // Closing the channel releases the lock; nothing else to do.
                    }
                }
            }
        }
    }
}
