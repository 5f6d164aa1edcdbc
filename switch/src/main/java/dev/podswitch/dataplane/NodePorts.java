package dev.podswitch.dataplane;

import dev.podswitch.dataplane.capture.FrameMirror;
import dev.podswitch.dataplane.capture.MirroringPort;
import dev.podswitch.dataplane.port.FrameSink;
import dev.podswitch.dataplane.port.MemoryPort;
import dev.podswitch.dataplane.port.Port;
import dev.podswitch.dataplane.port.ReceiveSource;
import dev.podswitch.dataplane.port.linux.ReadinessSet;
import dev.podswitch.dataplane.ring.FrameRing;

import java.util.Arrays;

/**
 * A node's ports as the control plane changes them and the pipeline reads them: ports by id, the
 * receive sources the node polls (TAP devices, the tunnel's socket), the mirrors of captured ports,
 * and the epoll set of the fds the node's idle thread waits on. Changes are synchronized and
 * published copy-on-write as one {@link Snapshot}; the pipeline reads it once per batch, without a
 * lock. {@link #poll} and its round-robin state belong to the node's thread.
 */
final class NodePorts implements AutoCloseable
{
    /** What one batch uses: the ports (captured ones wrapped in a {@link MirroringPort}) and the mirrors by port id (null: none). */
    record Snapshot(Port[] ports, FrameMirror[] mirrors)
    {
    }

    private final ReadinessSet readiness = ReadinessSet.createOrNull();
    private Port[] byId = new Port[1];
    private FrameMirror[] mirrorById;
    private int nextPortId = 1;
    private volatile Snapshot snapshot = new Snapshot(new Port[1], null);
    private volatile ReceiveSource[] sources = new ReceiveSource[0];
    // The node's thread only: where the next receive round starts, and which sources filled their share.
    private int nextStart;
    private boolean[] filledShare = new boolean[0];

    Snapshot snapshot()
    {
        return snapshot;
    }

    synchronized int allocatePortId()
    {
        return nextPortId++;
    }

    synchronized MemoryPort addMemoryPort(final String portName, final FrameSink sink)
    {
        final MemoryPort port = new MemoryPort(nextPortId++, portName, sink);
        add(port);
        return port;
    }

    synchronized void add(final Port port)
    {
        byId = Arrays.copyOf(byId, Math.max(byId.length, port.id() + 1));
        byId[port.id()] = port;
        publish();
    }

    synchronized void remove(final int portId)
    {
        byId = byId.clone();
        if (portId < byId.length)
        {
            byId[portId] = null;
        }
        publish();
    }

    synchronized void mirror(final int portId, final FrameMirror mirror)
    {
        final FrameMirror[] updated = mirrorById == null ? new FrameMirror[portId + 1]
            : Arrays.copyOf(mirrorById, Math.max(mirrorById.length, portId + 1));
        updated[portId] = mirror;
        mirrorById = Arrays.stream(updated).allMatch(each -> each == null) ? null : updated;
        publish();
    }

    private void publish()
    {
        final Port[] view = byId.clone();
        if (mirrorById != null)
        {
            for (int id = 0; id < Math.min(view.length, mirrorById.length); id++)
            {
                if (view[id] != null && mirrorById[id] != null)
                {
                    view[id] = new MirroringPort(view[id], mirrorById[id]);
                }
            }
        }
        snapshot = new Snapshot(view, mirrorById);
    }

    /** Adds a source the node polls, and watches its fd for the idle thread. */
    synchronized void addSource(final ReceiveSource source)
    {
        if (readiness != null && source.readinessFd() >= 0)
        {
            readiness.add(source.readinessFd());
        }
        final ReceiveSource[] updated = Arrays.copyOf(sources, sources.length + 1);
        updated[sources.length] = source;
        sources = updated;
    }

    synchronized void removeSource(final ReceiveSource source)
    {
        if (readiness != null && source.readinessFd() >= 0)
        {
            readiness.remove(source.readinessFd());
        }
        sources = Arrays.stream(sources).filter(each -> each != source).toArray(ReceiveSource[]::new);
    }

    /**
     * Fetches at most about {@code budget} frames from the receive sources into the ring, shared
     * among them (the node's thread). The budget is what one batch drains, so receive cannot outrun
     * the pipeline and fill the ring: with a full ring the source polled first after each drain
     * would take every freed slot and the others — the tunnel, polled last, with every other
     * node's traffic — would read only to drop (RING_FULL). Instead each source gets an equal
     * share per round, what the quiet ones leave goes to those that filled theirs, and the round
     * starts one source further every cycle (round robin, as OVS's PMD threads poll their queues);
     * when there are more busy sources than the budget holds, the next round starts with the first
     * one left out. So every source that has frames is served within ⌈sources / budget⌉ + 1 cycles
     * and, over a few cycles, about as often as any other.
     *
     * @return the frames read (a tunnel's GRO train may take it a little over the budget).
     */
    int poll(final FrameRing ring, final int budget)
    {
        final ReceiveSource[] polled = sources;
        final int count = polled.length;
        if (count == 0)
        {
            return 0;
        }
        if (filledShare.length < count)
        {
            // Only when sources were added, never per frame.
            filledShare = new boolean[count];
        }
        final int start = nextStart < count ? nextStart : 0;
        nextStart = start + 1 == count ? 0 : start + 1;
        final int share = Math.max(1, budget / count);
        int received = 0;
        int index = start;
        int visited = 0;
        while (visited < count && received < budget)
        {
            final int limit = Math.min(share, budget - received);
            final int read = pollOne(polled[index], ring, limit);
            filledShare[index] = read >= limit;
            received += read;
            visited++;
            index = index + 1 == count ? 0 : index + 1;
        }
        if (visited < count)
        {
            nextStart = index;
            return received;
        }
        for (int i = 0; i < count && received < budget; i++)
        {
            if (filledShare[index])
            {
                received += pollOne(polled[index], ring, budget - received);
            }
            index = index + 1 == count ? 0 : index + 1;
        }
        return received;
    }

    private int pollOne(final ReceiveSource source, final FrameRing ring, final int limit)
    {
        final int read = source.poll(ring, limit);
        if (source.takeDetached() && readiness != null)
        {
            // An fd that is always "ready" would keep the idle thread spinning; the port stays until removed.
            readiness.remove(source.readinessFd());
        }
        return read;
    }

    int readinessFd()
    {
        return readiness == null ? -1 : readiness.fd();
    }

    @Override
    public void close()
    {
        if (readiness != null)
        {
            readiness.close();
        }
    }
}
