package dev.podswitch.ipam.store;

import dev.podswitch.ipam.IpamState;
import dev.podswitch.ipam.IpamStore;

/**
 * An {@link IpamStore} that lives and dies with its object: for the emulated mode, where every node runs in one
 * JVM and nothing must outlive it, and for tests. Thread-safe; transactions run one at a time under the
 * object's monitor.
 */
public final class InMemoryIpamStore implements IpamStore
{
    private IpamState state = new IpamState();
    private boolean closed;

    @Override
    public synchronized <T> T update(final Transaction<T> transaction)
    {
        checkOpen();
        final IpamState next = state.copy();
        final T result = transaction.apply(next);
        state = next;
        return result;
    }

    @Override
    public synchronized IpamState read()
    {
        checkOpen();
        return state.copy();
    }

    @Override
    public String location()
    {
        return "memory";
    }

    @Override
    public synchronized void close()
    {
        closed = true;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("in-memory IPAM store is closed");
        }
    }
}
