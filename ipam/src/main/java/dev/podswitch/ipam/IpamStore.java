package dev.podswitch.ipam;

/**
 * Where IPAM state lives. Deliberately one operation wide, so that a file, memory or etcd backend all fit:
 * {@link #update} is an atomic read-modify-write of the whole {@link IpamState}. A file store runs it under a
 * lock; an etcd store runs it optimistically (read with its mod revision, apply, commit in a transaction guarded
 * by "mod_revision unchanged", retry on conflict), which is why a transaction may run more than once.
 * <p>
 * Contract for every implementation (see the conformance tests):
 * <ul>
 *   <li>the transaction gets a private copy; if it throws, nothing is stored and the exception propagates;</li>
 *   <li>when {@code update} returns, the new state is durable (survives a crash of this process);</li>
 *   <li>updates from all threads and processes sharing the store are serialisable;</li>
 *   <li>a state that cannot be read back faithfully raises {@link IpamStoreException}, never an empty state.</li>
 * </ul>
 */
public interface IpamStore extends AutoCloseable
{
    /**
     * A read-modify-write of the state. It must only change the state it is given and return a result: it may be
     * retried, and side effects would repeat.
     */
    @FunctionalInterface
    interface Transaction<T>
    {
        T apply(IpamState state);
    }

    <T> T update(Transaction<T> transaction);

    /**
     * A consistent copy of the current state, for lookups; changing it changes nothing in the store.
     */
    IpamState read();

    /**
     * Where the state is kept, for messages: a directory, "memory", an etcd prefix.
     */
    String location();

    @Override
    void close();
}
