package dev.podswitch.util;

/**
 * The one {@code closeQuietly} of the project (switch, scenarios and bench use it; ipam has no
 * close to make quiet): closing where a failure to close must not take the place of what is going
 * on — cleaning up after a failure, whose first cause is what the caller needs to see, or letting
 * go of something nobody needs any more. Not for the data plane's packet path.
 */
public final class Closeables
{
    private Closeables()
    {
    }

    /** Closes {@code resource} (null: nothing), ignoring any exception it throws. */
    public static void closeQuietly(final AutoCloseable resource)
    {
        closeQuietly(resource, null);
    }

    /**
     * Closes {@code resource} (null: nothing) while {@code failure} is on its way to the caller:
     * an exception from closing is kept as one of {@code failure}'s suppressed exceptions (when it
     * is not null) instead of being thrown. An interrupt that ends the close is kept too: the
     * thread's interrupt flag is set again.
     */
    public static void closeQuietly(final AutoCloseable resource, final Throwable failure)
    {
        if (resource == null)
        {
            return;
        }
        try
        {
            resource.close();
        }
        catch (final Exception closeFailed)
        {
            if (closeFailed instanceof InterruptedException)
            {
                Thread.currentThread().interrupt();
            }
            if (failure != null && failure != closeFailed)
            {
                failure.addSuppressed(closeFailed);
            }
        }
    }
}
