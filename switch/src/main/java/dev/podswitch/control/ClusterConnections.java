package dev.podswitch.control;

import dev.podswitch.dataplane.NodeDatapath;
import dev.podswitch.dataplane.conntrack.ConntrackSnapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Copies of the connection tables of the nodes a process runs — what {@code GET
 * /apis/podswitch.dev/v1/connections} and {@code podswitch get connections} show.
 *
 * <p>A node's table belongs to its pipeline thread (one writer, no locks), so nobody else reads it
 * while the node runs: {@link #request} asks each node's thread to make the copy between two
 * batches ({@link NodeDatapath#requestConnections}) and waits for it, which serves any thread while
 * the nodes run (a daemon's or a live lab's nodes run all the time). An emulated run's nodes run only
 * inside its driver's {@code runUntilIdle}, so nobody would answer there: its driver copies the
 * tables itself between those calls ({@link ClusterDataplane#connections}).
 */
public final class ClusterConnections
{
    /** Entries copied per node at most: enough to read, little enough to copy between two batches. */
    public static final int DEFAULT_LIMIT = 10_000;
    /** How long a reader waits for the nodes to copy their tables. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /** After the timeout, how long more for a node that had already taken the request (it is copying). */
    private static final long TAKEN_GRACE_NS = TimeUnit.SECONDS.toNanos(1);

    /** Nodes that did not copy their table: their thread is stopped or stuck, or their command queue is full. */
    public static final class Unavailable extends Exception
    {
        private final List<String> nodes;

        Unavailable(final List<String> nodes, final String message)
        {
            super(message);
            this.nodes = List.copyOf(nodes);
        }

        public List<String> nodes()
        {
            return nodes;
        }
    }

    private ClusterConnections()
    {
    }

    /**
     * Asks every node at once for a copy of at most {@code limit} entries and waits for them until
     * one deadline; a request a node did not take in time is withdrawn from its queue. For any
     * thread, while the nodes' threads run.
     *
     * @return per node name, in the order given, its copy.
     * @throws Unavailable naming every node that did not answer (the others' copies are dropped).
     */
    public static Map<String, ConntrackSnapshot> request(final Collection<ClusterNode> nodes, final int limit,
        final Duration timeout) throws Unavailable
    {
        final Map<ClusterNode, CompletableFuture<ConntrackSnapshot>> pending = new LinkedHashMap<>();
        for (final ClusterNode node : nodes)
        {
            pending.put(node, node.datapath().requestConnections(limit));
        }
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final Map<String, ConntrackSnapshot> copies = new LinkedHashMap<>();
        final List<String> missing = new ArrayList<>();
        final List<String> reasons = new ArrayList<>();
        for (final Map.Entry<ClusterNode, CompletableFuture<ConntrackSnapshot>> entry : pending.entrySet())
        {
            final String name = entry.getKey().name();
            final String failure = await(entry.getKey().datapath(), entry.getValue(), deadlineNs, timeout, copies, name);
            if (failure != null)
            {
                missing.add(name);
                reasons.add("node " + name + " " + failure);
            }
        }
        if (!missing.isEmpty())
        {
            throw new Unavailable(missing, String.join("; ", reasons));
        }
        return copies;
    }

    /** Puts the node's copy in {@code copies}; else returns why there is none. */
    private static String await(final NodeDatapath datapath, final CompletableFuture<ConntrackSnapshot> request,
        final long deadlineNs, final Duration timeout, final Map<String, ConntrackSnapshot> copies, final String name)
    {
        try
        {
            try
            {
                copies.put(name, request.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS));
                return null;
            }
            catch (final TimeoutException late)
            {
                if (datapath.withdraw(request))
                {
                    return "did not copy its connection table within " + timeout.toMillis() + " ms: its pipeline thread "
                        + "is stopped or stuck";
                }
                // Taken just now: it is being copied.
                copies.put(name, request.get(TAKEN_GRACE_NS, TimeUnit.NANOSECONDS));
                return null;
            }
        }
        catch (final TimeoutException stuck)
        {
            return "took the request but did not finish the copy: its pipeline thread is stuck";
        }
        catch (final ExecutionException failed)
        {
            return "could not copy its connection table: " + failed.getCause().getMessage();
        }
        catch (final InterruptedException interrupted)
        {
            datapath.withdraw(request);
            Thread.currentThread().interrupt();
            return "was not waited for: the reader was interrupted";
        }
    }

    /**
     * Copies every node's table on the caller's thread: only while no node thread runs (the driver
     * of an emulated run between {@code runUntilIdle} calls, or a node's own thread).
     */
    static Map<String, ConntrackSnapshot> copy(final Collection<ClusterNode> nodes, final int limit)
    {
        final Map<String, ConntrackSnapshot> copies = new LinkedHashMap<>();
        for (final ClusterNode node : nodes)
        {
            copies.put(node.name(), node.datapath().copyConnections(limit));
        }
        return copies;
    }
}
