package dev.podswitch.agent.multihost;

import dev.podswitch.datastore.BackgroundLoop;
import dev.podswitch.datastore.Datastore;
import dev.podswitch.datastore.DatastoreException;
import dev.podswitch.datastore.SubnetLeaser;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Keeps the node's subnet lease alive on a thread of its own: renews it every third of its TTL and
 * retries every second while etcd is unreachable. When etcd had let the lease expire, the leaser
 * claims the same subnet again; the pods' records follow (the publisher rebinds them).
 */
final class LeaseRenewer implements AutoCloseable
{
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final SubnetLeaser leaser;
    private final Consumer<String> log;
    private final BackgroundLoop loop;
    private volatile String lastFailure;

    LeaseRenewer(final SubnetLeaser leaser, final Consumer<String> log)
    {
        this.leaser = leaser;
        this.log = log;
        this.loop = new BackgroundLoop("podswitch-subnet-lease", this::run);
    }

    LeaseRenewer start()
    {
        loop.start();
        return this;
    }

    /** Renews now rather than at the next interval (the watch saw this node's subnet key gone). */
    void nudge()
    {
        loop.interrupt();
    }

    /** Why the last renewal failed, or null when it succeeded. */
    String lastFailure()
    {
        return lastFailure;
    }

    private void run()
    {
        // The first renewal comes at once: the lease may have been running down while the node was away.
        Duration wait = Duration.ZERO;
        while (loop.sleep(wait.toMillis()))
        {
            try
            {
                leaser.renew();
                if (lastFailure != null)
                {
                    log.accept("subnet lease renewed again");
                }
                lastFailure = null;
                wait = leaser.renewInterval();
            }
            catch (final DatastoreException failed)
            {
                if (Thread.interrupted())
                {
                    // A nudge cut the renewal short: renew again at once.
                    wait = Duration.ZERO;
                    continue;
                }
                if (!Objects.equals(lastFailure, failed.getMessage()))
                {
                    log.accept("subnet lease not renewed: " + failed.getMessage() + "; retrying");
                }
                lastFailure = failed.getMessage();
                wait = RETRY;
            }
            catch (final RuntimeException unexpected)
            {
                lastFailure = unexpected.toString();
                log.accept("subnet lease not renewed: " + unexpected + "; retrying");
                wait = RETRY;
            }
        }
    }

    @Override
    public void close()
    {
        loop.close();
    }
}
