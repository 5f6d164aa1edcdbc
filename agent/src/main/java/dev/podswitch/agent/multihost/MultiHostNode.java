package dev.podswitch.agent.multihost;

import dev.podswitch.agent.ServedCluster;
import dev.podswitch.agent.api.NodeView;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ClusterWriter;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.datastore.ClusterConfig;
import dev.podswitch.datastore.ClusterConfigs;
import dev.podswitch.datastore.ClusterState;
import dev.podswitch.datastore.Datastore;
import dev.podswitch.datastore.DatastoreException;
import dev.podswitch.datastore.DatastoreWatcher;
import dev.podswitch.datastore.DatastoreWriter;
import dev.podswitch.datastore.SubnetLease;
import dev.podswitch.datastore.SubnetLeaser;
import dev.podswitch.ipam.ClusterIpam;
import dev.podswitch.ipam.IpamStore;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import dev.podswitch.util.Closeables;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * This host's node in a cluster kept in etcd. In order: agree on the cluster config, claim the
 * node's subnet (the one etcd still has for it, else the one its state directory remembers, else
 * the lowest free), build the node's data plane on that subnet with its VTEP on the underlay
 * address — then, once the agent serves, watch the datastore into the model and data plane
 * ({@link RemoteReconciler}), write this node's pods into it ({@link LocalPodPublisher}) and keep
 * the lease alive ({@link LeaseRenewer}). Client writes go to etcd ({@link DatastoreWriter}).
 */
public final class MultiHostNode implements AutoCloseable
{
    /** Runs a data plane change as the agent's driver (the CNI agent serialises them). */
    @FunctionalInterface
    public interface Driver
    {
        void run(Runnable task);
    }

    private static final Duration CONNECT_PATIENCE = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private final MultiHostOptions options;
    private final Datastore datastore;
    private final ClusterConfig config;
    private final int underlayMtu;
    private final Consumer<String> log;
    private SubnetLeaser leaser;
    private RemoteReconciler reconciler;
    private DatastoreWatcher watcher;
    private LocalPodPublisher publisher;
    private LeaseRenewer renewer;
    private boolean closed;

    private MultiHostNode(final MultiHostOptions options, final Datastore datastore, final ClusterConfig config,
        final int underlayMtu, final Consumer<String> log)
    {
        this.options = options;
        this.datastore = datastore;
        this.config = config;
        this.underlayMtu = underlayMtu;
        this.log = log;
    }

    /** Connects (waiting up to a minute for etcd, saying so) and agrees on the cluster config. */
    public static MultiHostNode connect(final MultiHostOptions options, final PrintStream out) throws IOException
    {
        final Consumer<String> log = line -> out.println("podswitch agent: " + line);
        final int mtu = underlayMtu(options.underlayAddress());
        final Datastore datastore = Datastore.connect(options.etcd(), options.keys());
        try
        {
            final long deadline = System.nanoTime() + CONNECT_PATIENCE.toNanos();
            while (true)
            {
                try
                {
                    final ClusterConfig config = ClusterConfigs.agree(datastore, options.wanted());
                    log.accept("joined the cluster in etcd at " + options.etcd() + " under " + options.keys().prefix()
                        + " (" + config + ")");
                    return new MultiHostNode(options, datastore, config, mtu, log);
                }
                catch (final DatastoreException unreachable)
                {
                    if (unreachable.getCause() == null && unreachable.getMessage().contains("disagrees")
                        || System.nanoTime() > deadline || unreachable.getMessage().contains("not readable"))
                    {
                        throw unreachable;
                    }
                    log.accept("waiting for etcd: " + unreachable.getMessage());
                    Thread.sleep(1000);
                }
            }
        }
        catch (final IOException | RuntimeException | Error failed)
        {
            datastore.close();
            throw failed;
        }
        catch (final InterruptedException interrupted)
        {
            datastore.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for etcd", interrupted);
        }
    }

    /**
     * The MTU of the interface that holds the underlay address.
     *
     * @throws IllegalArgumentException when no interface of this host holds it (a wrong flag).
     */
    static int underlayMtu(final int underlayAddress) throws IOException
    {
        final InetAddress wanted = InetAddress.getByAddress(new byte[] {(byte)(underlayAddress >>> 24),
            (byte)(underlayAddress >>> 16), (byte)(underlayAddress >>> 8), (byte)underlayAddress});
        try
        {
            for (final NetworkInterface link : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                if (Collections.list(link.getInetAddresses()).contains(wanted))
                {
                    return link.getMTU();
                }
            }
        }
        catch (final SocketException unreadable)
        {
            throw new IOException("cannot list this host's interfaces: " + unreadable.getMessage(), unreadable);
        }
        throw new IllegalArgumentException("--underlay-address " + Ipv4.format(underlayAddress) + " is not an address of "
            + "this host (its VXLAN socket binds there); give the address of the interface that reaches the other hosts");
    }

    /** A pod's MTU: the underlay's, less what VXLAN adds. */
    public int podMtu()
    {
        return underlayMtu - MultiHostOptions.VXLAN_OVERHEAD;
    }

    public ClusterConfig config()
    {
        return config;
    }

    /**
     * Claims the subnet and builds the node on it: IPAM in {@code ipamStore} (host-local pod IPs in
     * the node's subnet), its VTEP on the underlay address.
     */
    public ServedCluster serve(final IpamStore ipamStore, final IdleMode idle, final ClusterModel.Limits limits,
        final int ringSlots) throws IOException
    {
        final ClusterIpam ipam = new ClusterIpam(ipamStore, config.clusterCidr(), config.nodePrefixLength());
        final Ipv4Cidr remembered = ipam.nodeSubnets().get(options.node());
        leaser = new SubnetLeaser(datastore, config, options.node(), options.underlayAddress(), options.leaseTtl(),
            network -> ClusterDataplane.macFor((int)network + 1), log);
        // Pods that kept their IPs across a restart pin the node to the subnet those IPs are in.
        final boolean pinned = remembered != null && ipam.allocations().stream()
            .anyMatch(allocation -> allocation.node().equals(options.node()));
        final SubnetLease lease = leaser.acquire(remembered, pinned);
        try
        {
            ipam.assignNodeSubnet(options.node(), lease.subnet());
        }
        catch (final RuntimeException refused)
        {
            Closeables.closeQuietly(leaser::release, refused);
            throw refused;
        }
        final ClusterOptions clusterOptions = new ClusterOptions(config.clusterCidr(), config.nodePrefixLength(),
            List.of(options.node()), ClusterOptions.Underlay.UDP, config.vni(), ringSlots, 1, idle,
            Map.of(options.node(), options.underlayAddress()), Frame.OFFLOAD_CAPACITY);
        final ClusterDataplane dataplane = ClusterDataplane.create(clusterOptions, ipamStore);
        try
        {
            final ClusterModel model = new ClusterModel(dataplane::publishPolicy, limits);
            dataplane.startLive();
            return new ServedCluster(dataplane, model, () ->
            {
                try
                {
                    close();
                }
                finally
                {
                    dataplane.close();
                }
            });
        }
        catch (final RuntimeException | Error failed)
        {
            dataplane.close();
            throw failed;
        }
    }

    /**
     * From now on the datastore feeds the model and data plane, and this node's pods feed the
     * datastore. The first state is in force when this returns.
     */
    public void startSync(final ClusterModel model, final ClusterDataplane dataplane, final Driver driver)
        throws DatastoreException
    {
        renewer = new LeaseRenewer(leaser, log);
        reconciler = new RemoteReconciler(options.node(), model, dataplane, driver, log, renewer::nudge);
        watcher = new DatastoreWatcher(datastore, reconciler, log).start();
        publisher = new LocalPodPublisher(datastore, options.node(), model, leaser, reconciler::last, watcher, log).start();
        renewer.start();
    }

    /** Client writes: checked against this host's model, kept in etcd, applied here before the answer. */
    public ClusterWriter writer(final ClusterModel model)
    {
        return new DatastoreWriter(datastore, model, revision ->
        {
            try
            {
                if (!watcher.awaitRevision(revision, SETTLE))
                {
                    log.accept("a write kept in etcd at revision " + revision + " is not applied here yet after "
                        + SETTLE.toSeconds() + " s; the watch will bring it");
                }
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the change to apply", interrupted);
            }
        });
    }

    /** Every node the datastore knows, this one first. */
    public List<NodeView> nodes()
    {
        final ClusterState state = reconciler == null ? null : reconciler.last();
        final List<NodeView> nodes = new ArrayList<>();
        final SubnetLease own = leaser == null ? null : leaser.held();
        final boolean ownListed = state != null && state.nodes().containsKey(options.node());
        if (own != null)
        {
            nodes.add(new NodeView(options.node(), own.subnet().toString(), own.underlayText(), ownListed,
                ownListed ? "PodswitchNodeRunning" : "SubnetLeaseNotInEtcd"));
        }
        if (state != null)
        {
            for (final SubnetLease lease : state.nodes().values())
            {
                if (!lease.node().equals(options.node()))
                {
                    nodes.add(new NodeView(lease.node(), lease.subnet().toString(), lease.underlayText(), true,
                        "SubnetLeaseHeld"));
                }
            }
        }
        return nodes;
    }

    /** What {@code GET /status} says of the datastore. */
    public Map<String, Object> status()
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        status.put("etcd", options.etcd().toString());
        status.put("prefix", options.keys().prefix());
        status.put("clusterCIDR", config.clusterCidr().toString());
        status.put("nodePrefixLength", config.nodePrefixLength());
        status.put("vni", config.vni());
        final SubnetLease own = leaser == null ? null : leaser.held();
        status.put("subnet", own == null ? null : own.subnet().toString());
        status.put("leaseId", own == null ? null : Long.toHexString(own.leaseId()));
        status.put("leaseTtlSeconds", options.leaseTtl().toSeconds());
        status.put("leaseRenewalFailure", renewer == null ? null : renewer.lastFailure());
        status.put("podMtu", podMtu());
        status.put("appliedRevision", watcher == null ? 0 : watcher.appliedRevision());
        status.put("relists", watcher == null ? 0 : watcher.relists());
        status.put("podWrites", publisher == null ? 0 : publisher.writeCount());
        status.put("refusedChanges", reconciler == null ? 0 : reconciler.refusedCount());
        final ClusterState state = reconciler == null ? null : reconciler.last();
        status.put("skippedKeys", state == null ? List.of() : state.problems());
        return status;
    }

    /** Stops syncing; the lease stays (a restarting node finds it again; a node gone for good lets it expire). */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        // Each part stops its own thread and says nothing on close; none may keep the next from stopping.
        Closeables.closeQuietly(renewer);
        Closeables.closeQuietly(publisher);
        Closeables.closeQuietly(watcher);
        datastore.close();
    }
}
