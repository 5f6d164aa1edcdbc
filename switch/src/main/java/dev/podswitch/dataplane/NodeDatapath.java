package dev.podswitch.dataplane;

import com.lmax.disruptor.EventPoller;
import dev.podswitch.dataplane.capture.FrameMirror;
import dev.podswitch.dataplane.classify.PolicyTable;
import dev.podswitch.dataplane.conntrack.ConnectionTracker;
import dev.podswitch.dataplane.conntrack.ConntrackSnapshot;
import dev.podswitch.dataplane.conntrack.ConntrackTimeouts;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.offload.SoftwareOffload;
import dev.podswitch.dataplane.port.FrameSink;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.port.tunnel.TunnelPort;
import dev.podswitch.dataplane.port.tunnel.VxlanUnderlay;
import dev.podswitch.dataplane.reassembly.Ipv4Reassembly;
import dev.podswitch.dataplane.ring.Frame;
import dev.podswitch.dataplane.ring.FrameRing;
import dev.podswitch.dataplane.flow.FlowLog;
import dev.podswitch.dataplane.stats.DatapathCounters;
import dev.podswitch.dataplane.stats.PolicyVerdictCounters;
import dev.podswitch.dataplane.stats.DistinctErrorLog;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One node's data plane: its receive ring, its ports, its VXLAN tunnel port, and the pipeline
 * that drains the ring — parse → anti-spoof → gateway answers → policy → route → transmit, one
 * stage after another in {@link NodePipeline}. It is an agent: {@link #doWork()} processes at most
 * one bounded batch and returns how much it did, so the same node runs on its own thread or
 * shares one with other nodes (threading is configuration). This class is the node's outside:
 * what the control plane publishes and commands, the receive sources it polls, and the batch
 * that reads it all once and hands it to the pipeline.
 *
 * <p>Threads: {@code doWork} on one thread at a time (the owner); ports, the tunnel's receive
 * thread and endpoints offer frames to the ring from any thread; the control plane publishes
 * tables and ports from any thread, and the pipeline picks them up between batches.
 *
 * <p>Why this file is over 400 lines: the node's whole outside — ports, the tunnel, captures,
 * command queue, counters — sits beside the batch loop whose thread every one of those calls must
 * respect; the stages themselves are in NodePipeline and the packages below.
 */
public final class NodeDatapath implements EventPoller.Handler<Frame>
{
    public static final int TUNNEL_PORT_ID = 0;
    public static final int DEFAULT_RING_SIZE = 1024;
    public static final int BATCH_LIMIT = 32;
    public static final String CONNTRACK_CAPACITY_PROP_NAME = "switch.conntrack.capacity";
    public static final int CONNTRACK_CAPACITY_DEFAULT = 1 << 16;
    private static final int CONNTRACK_CAPACITY =
        Integer.getInteger(CONNTRACK_CAPACITY_PROP_NAME, CONNTRACK_CAPACITY_DEFAULT);

    private final String name;
    private final DatapathCounters counters = new DatapathCounters();
    private final DistinctErrorLog errors;
    private final FrameRing ring;
    private final AtomicReference<ForwardingTable> tableRef = new AtomicReference<>();
    private final AtomicReference<PolicyTable> policyRef = new AtomicReference<>(PolicyTable.ALLOW_ALL);
    private final TunnelPort tunnel;
    private final NodePipeline pipeline;
    private final NodePorts nodePorts = new NodePorts();
    private volatile FrameMirror captureRequested;
    /**
     * Commands from other threads, run in order by the node's thread at the start of a batch.
     * Lock-free (an empty poll costs a volatile read) and bounded by {@link #COMMAND_QUEUE_LIMIT}: a
     * full queue refuses.
     */
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedCommands = new AtomicInteger();
    private static final int COMMAND_QUEUE_LIMIT = 4096;
    private int batchCount;

    public NodeDatapath(final String name, final int ringSize, final int frameCapacity, final int vtepIp, final int vni,
        final VxlanUnderlay underlay, final ForwardingTable initialTable, final DistinctErrorLog errors)
    {
        this.name = name;
        this.errors = errors;
        this.ring = new FrameRing(ringSize, frameCapacity, counters);
        this.tableRef.set(initialTable);
        this.tunnel = underlay == null ? null
            : new TunnelPort(TUNNEL_PORT_ID, vtepIp, vni, frameCapacity, underlay, ring, counters,
                peerVtep -> tableRef.get().remoteByVtep(peerVtep) != null);
        if (tunnel != null && underlay.isPolled())
        {
            // The tunnel's socket takes its turn with the TAPs: one receive budget, shared fairly.
            nodePorts.addSource(new TunnelReceive(tunnel));
        }
        this.pipeline = new NodePipeline(counters, errors, tunnel, frameCapacity,
            new ConnectionTracker(CONNTRACK_CAPACITY, ConntrackTimeouts.DEFAULTS));
    }

    public String name()
    {
        return name;
    }

    public DatapathCounters counters()
    {
        return counters;
    }

    public FrameRing ring()
    {
        return ring;
    }

    /** Segmentation and checksum work the pipeline did in software (for frames that left by the tunnel). */
    public SoftwareOffload softwareOffload()
    {
        return pipeline.router().softwareOffload();
    }

    public ConnectionTracker connections()
    {
        return pipeline.tracker();
    }

    /** What this node decided about new connections and drops (records are read from any thread). */
    public FlowLog flows()
    {
        return pipeline.flows();
    }

    /** How NetworkPolicy judged new connections here, by direction and action (safe to read from any thread). */
    public PolicyVerdictCounters policyVerdicts()
    {
        return pipeline.policyVerdicts();
    }

    /**
     * The node's IPv4 reassembly: fragments held ({@code received = forwarded + answered + Σ drops + held}).
     * Owner thread's state: read it from elsewhere only while the node's agent is stopped.
     */
    public Ipv4Reassembly reassembly()
    {
        return pipeline.reassembly();
    }

    public TunnelPort tunnel()
    {
        return tunnel;
    }

    public ForwardingTable table()
    {
        return tableRef.get();
    }

    /** Swaps in a new forwarding table; the pipeline uses it from its next batch on. */
    public void publish(final ForwardingTable newTable)
    {
        tableRef.set(newTable);
    }

    /**
     * Shows {@code mirror} every frame this node receives — from its pods, hosts and the tunnel
     * (decapsulated), as it arrived, before any rewrite — from the next batch on; null stops it.
     * The caller completes whatever the mirror writes to once the node is idle.
     */
    public void capture(final FrameMirror mirror)
    {
        captureRequested = mirror;
    }

    /**
     * Asks the pipeline to forget every tracked connection of {@code ip} before its next batch: the
     * endpoint that had the address is gone, and whoever gets it next must not inherit connections
     * that would pass without a policy lookup (real CNIs flush conntrack for a deleted endpoint).
     *
     * @return false when the command queue is full (the caller retries after the node ran).
     */
    public boolean forgetConnectionsOf(final int ip)
    {
        return submit(() -> pipeline.tracker().removeAllOf(ip));
    }

    /**
     * Asks the node's thread for a copy of at most {@code limit} of its tracked connections (see
     * {@link ConntrackSnapshot}), made at the start of its next batch — the table is the pipeline's,
     * without locks, so no other thread may read it while the node runs. The future completes on the
     * node's thread: wait on it ({@code get} with a timeout), do not chain actions to it (they would
     * run on the pipeline thread), and {@link #withdraw} it if you stop waiting. A node whose thread
     * is stopped (an emulated run between {@code runUntilIdle} calls) never completes it; its driver
     * may call {@link #copyConnections} instead.
     *
     * @return the pending copy; failed with {@link RejectedExecutionException} when the command
     * queue is full.
     */
    public CompletableFuture<ConntrackSnapshot> requestConnections(final int limit)
    {
        if (limit < 0)
        {
            throw new IllegalArgumentException("limit=" + limit + " < 0");
        }
        final ConnectionsCopy copy = new ConnectionsCopy(limit);
        if (!submit(copy))
        {
            copy.completeExceptionally(new RejectedExecutionException("node " + name + " has "
                + COMMAND_QUEUE_LIMIT + " commands queued already"));
        }
        return copy;
    }

    /**
     * Takes back a request of {@link #requestConnections} its caller no longer waits for, so that a
     * stopped node's queue does not fill with copies nobody reads.
     *
     * @return true when it was still queued (it is cancelled and will never run); false when the
     * node has taken it already (it completes, or has).
     */
    public boolean withdraw(final Future<ConntrackSnapshot> request)
    {
        if (commands.remove(request))
        {
            queuedCommands.decrementAndGet();
            request.cancel(false);
            return true;
        }
        return false;
    }

    /**
     * A copy of at most {@code limit} tracked connections, made on the caller's thread: only the
     * node's owner thread, or a driver while the node's thread is stopped (between {@code
     * runUntilIdle} calls of an emulated run), may call it. Anyone else: {@link #requestConnections}.
     */
    public ConntrackSnapshot copyConnections(final int limit)
    {
        return pipeline.tracker().snapshot(limit, System.nanoTime());
    }

    /** Commands waiting for the node's next batch. */
    public int queuedCommands()
    {
        return queuedCommands.get();
    }

    private boolean submit(final Runnable command)
    {
        if (queuedCommands.incrementAndGet() > COMMAND_QUEUE_LIMIT)
        {
            queuedCommands.decrementAndGet();
            return false;
        }
        return commands.offer(command);
    }

    /** Swaps in a newly compiled policy; new connections are judged by it from the next batch on. */
    public void publishPolicy(final PolicyTable policy)
    {
        policyRef.set(policy);
    }

    public PolicyTable policy()
    {
        return policyRef.get();
    }

    /** Adds a memory port (an emulated pod or host) and returns it; its id goes into the table. */
    public MemoryPort addMemoryPort(final String portName, final FrameSink sink)
    {
        return nodePorts.addMemoryPort(portName, sink);
    }

    public int allocatePortId()
    {
        return nodePorts.allocatePortId();
    }

    public void addPort(final Port port)
    {
        nodePorts.add(port);
    }

    public void removePort(final int portId)
    {
        nodePorts.remove(portId);
    }

    /**
     * Shows {@code mirror} every frame port {@code portId} receives and every frame sent to it, from
     * the pipeline's next batch on; null stops it. For {@link #TUNNEL_PORT_ID} the mirror sees the
     * decapsulated frames coming in and the encapsulated ones going out. The caller closes whatever
     * the mirror writes to once the node has run a batch without it (or is stopped).
     */
    public void mirror(final int portId, final FrameMirror mirror)
    {
        if (portId == TUNNEL_PORT_ID && tunnel != null)
        {
            tunnel.mirror(mirror);
        }
        nodePorts.mirror(portId, mirror);
    }

    /** Adds a port whose frames the node fetches itself (a TAP device); polled once per cycle. */
    public void addReceiveSource(final ReceiveSource source)
    {
        nodePorts.addSource(source);
    }

    public void removeReceiveSource(final ReceiveSource source)
    {
        nodePorts.removeSource(source);
    }

    /**
     * One cycle of the node's agent: fetch about a batch of frames from its receive sources, shared
     * fairly among them (TAPs and the tunnel alike, {@link NodePorts#poll}), then process at most
     * one batch from the ring; returns the work done.
     */
    public int doWork()
    {
        return nodePorts.poll(ring, BATCH_LIMIT) + drainBatch();
    }

    /** Processes at most one batch from the ring; returns the number of frames handled. */
    private int drainBatch()
    {
        beginBatch(System.nanoTime());
        final int handled;
        try
        {
            handled = ring.drain(this);
        }
        catch (final Exception unexpected)
        {
            errors.record(unexpected);
            return 1;
        }
        endBatch(handled);
        return handled;
    }

    /**
     * Starts a batch: runs the queued commands, then reads the published tables, ports and the
     * clock once, so a batch never sees half an update. {@link #doWork()} calls it; so does a caller
     * that drives the pipeline directly, without the ring (the direct-call pipeline benchmarks
     * compare against), on the owner thread only.
     */
    public void beginBatch(final long nowNs)
    {
        Runnable command;
        while ((command = commands.poll()) != null)
        {
            queuedCommands.decrementAndGet();
            command.run();
        }
        final NodePorts.Snapshot snapshot = nodePorts.snapshot();
        pipeline.begin(tableRef.get(), policyRef.get(), snapshot.ports(), snapshot.mirrors(), captureRequested, nowNs);
        batchCount = 0;
    }

    /** Runs one frame through the whole pipeline (owner thread, between begin and end of a batch). */
    public void handle(final Frame frame)
    {
        pipeline.handle(frame);
    }

    /** Ends a batch: ports flush what they queued, and conntrack expires a few entries. */
    public void endBatch(final int handled)
    {
        pipeline.end(handled);
    }

    /** An epoll fd readable when one of this node's TAPs or its tunnel socket has input; -1 off Linux. */
    public int readinessFd()
    {
        return nodePorts.readinessFd();
    }

    /** Releases the node's epoll set; call once its agent is stopped. */
    public void close()
    {
        nodePorts.close();
    }

    /** Whether nothing waits in the ring. */
    public boolean isIdle()
    {
        return ring.isEmpty();
    }

    @Override
    public boolean onEvent(final Frame frame, final long sequence, final boolean endOfBatch)
    {
        handle(frame);
        return ++batchCount < BATCH_LIMIT;
    }

    @Override
    public String toString()
    {
        return "NodeDatapath{" + name + ", " + table() + "}";
    }

    /** A request for a copy of the connection table, run by the node's thread unless it was withdrawn first. */
    private final class ConnectionsCopy extends CompletableFuture<ConntrackSnapshot> implements Runnable
    {
        private final int limit;

        ConnectionsCopy(final int limit)
        {
            this.limit = limit;
        }

        @Override
        public void run()
        {
            if (isDone())
            {
                return;
            }
            try
            {
                complete(copyConnections(limit));
            }
            catch (final RuntimeException failed)
            {
                // The pipeline goes on; the one who asked learns why.
                completeExceptionally(failed);
            }
        }
    }

    /** The tunnel's polled socket as one of the node's receive sources (it offers into the node's ring itself). */
    private static final class TunnelReceive implements ReceiveSource
    {
        private final TunnelPort tunnel;

        TunnelReceive(final TunnelPort tunnel)
        {
            this.tunnel = tunnel;
        }

        @Override
        public int poll(final FrameRing ring, final int limit)
        {
            return tunnel.poll(limit);
        }

        @Override
        public int readinessFd()
        {
            return tunnel.readinessFd();
        }
    }
}
