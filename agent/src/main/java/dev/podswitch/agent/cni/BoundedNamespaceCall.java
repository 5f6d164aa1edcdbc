package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.control.live.NetworkNamespaces;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * {@link NetworkNamespaces#callInPath} with a deadline, for the driver thread: entering a
 * namespace opens its file, and an open that blocks (a FIFO given as CNI_NETNS, a hung mount)
 * would otherwise hold the driver — and so every later CNI request — forever.
 *
 * <p>A call past its deadline is abandoned, not killed (a thread blocked in {@code open} cannot be
 * interrupted): its thread goes on, and if the task does finish later, what it made is handed to
 * {@code discardLate} (close the TAP it opened) instead of being left behind. Exactly one of the
 * caller and {@code discardLate} gets the result.
 */
final class BoundedNamespaceCall
{
    static final long DEFAULT_TIMEOUT_MS = 10_000;
    private static final int RUNNING = 0;
    private static final int DELIVERED = 1;
    private static final int ABANDONED = 2;

    private BoundedNamespaceCall()
    {
    }

    /**
     * @throws CniError code 101 when the namespace could not be entered and the task run within
     *                  {@code timeoutMs}; else whatever entering or the task threw.
     */
    static <T> T call(final String netns, final long timeoutMs, final Callable<T> task, final Consumer<T> discardLate)
        throws Exception
    {
        final AtomicInteger state = new AtomicInteger(RUNNING);
        final FutureTask<T> call = new FutureTask<>(() ->
        {
            final T result = NetworkNamespaces.callInPath(netns, task);
            if (!state.compareAndSet(RUNNING, DELIVERED))
            {
                discardLate.accept(result);
            }
            return result;
        });
        Thread.ofPlatform().name("psw-netns-call").daemon(true).start(call);
        try
        {
            return call.get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException late)
        {
            if (state.compareAndSet(RUNNING, ABANDONED))
            {
                throw new CniError(CniVersions.ATTACH_FAILED, "cannot enter the network namespace",
                    "entering " + netns + " did not finish within " + timeoutMs + " ms (a FIFO or a hung mount?)");
            }
            // Delivered between the timeout and now: the result is the caller's after all.
            return get(call);
        }
        catch (final ExecutionException failed)
        {
            throw cause(failed);
        }
    }

    private static <T> T get(final FutureTask<T> call) throws Exception
    {
        try
        {
            return call.get();
        }
        catch (final ExecutionException failed)
        {
            throw cause(failed);
        }
    }

    private static Exception cause(final ExecutionException failed)
    {
        if (failed.getCause() instanceof final Error error)
        {
            throw error;
        }
        return failed.getCause() instanceof final Exception cause ? cause : failed;
    }
}
