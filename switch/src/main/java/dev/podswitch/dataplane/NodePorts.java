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
 * receive sources the node polls (TAP devices), the mirrors of captured ports, and the epoll set of
 * the fds the node's idle thread waits on. Changes are synchronized and published copy-on-write as
 * one {@link Snapshot}; the pipeline reads it once per batch, without a lock.
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

    /** Watches an fd the node reads (its tunnel socket) for the idle thread. */
    synchronized void watch(final int fd)
    {
        if (readiness != null && fd >= 0)
        {
            readiness.add(fd);
        }
    }

    synchronized void addSource(final ReceiveSource source)
    {
        watch(source.readinessFd());
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

    /** Fetches at most {@code limit} frames from each receive source into the ring (the node's thread). */
    int poll(final FrameRing ring, final int limit)
    {
        int received = 0;
        for (final ReceiveSource source : sources)
        {
            received += source.poll(ring, limit);
            if (source.takeDetached() && readiness != null)
            {
                // An fd that is always "ready" would keep the idle thread spinning; the port stays until removed.
                readiness.remove(source.readinessFd());
            }
        }
        return received;
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
