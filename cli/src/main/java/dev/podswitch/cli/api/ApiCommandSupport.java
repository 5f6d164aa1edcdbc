package dev.podswitch.cli.api;

import dev.podswitch.datastore.DatastoreKeys;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What every client command of the control API shares: the {@code --socket} option, finding the
 * daemon, and turning an answer into an exit status (0 done, 1 refused or not found, 2 invalid
 * input — a 4xx for the body or a 422 — as the rest of the command line does).
 */
public final class ApiCommandSupport
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_INVALID = 2;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "The daemon's control API socket (default: $" + ApiTarget.ENVIRONMENT
            + ", else /run/podswitch/api.sock, else the running `podswitch up` lab).")
    private Path socket;

    @Option(names = "--etcd", paramLabel = "URL[,URL...]",
        description = "Talk to the cluster's datastore instead of one agent: read and write the state every agent "
            + "of a multi-host cluster watches (see docs/multi-host.md).")
    private String etcd;

    @Option(names = "--etcd-prefix", paramLabel = "PREFIX", defaultValue = DatastoreKeys.DEFAULT_PREFIX,
        description = "The key prefix of the cluster in etcd (default: ${DEFAULT-VALUE}).")
    private String etcdPrefix;

    public ApiClient client() throws IOException
    {
        if (etcd != null)
        {
            if (socket != null)
            {
                throw new InvalidTarget("--socket and --etcd name two different places; give one", null);
            }
            return EtcdApi.client(etcd, etcdPrefix);
        }
        return ApiTarget.resolve(socket);
    }

    /** Prints an error answer and says which exit status it means. */
    public static int failed(final ApiClient.Response response, final PrintStream err)
    {
        err.println("podswitch: " + response.errorText().replace("\n", "\npodswitch: "));
        return response.status() == 422 || response.status() == 400 || response.status() == 413 ? EXIT_INVALID
            : EXIT_FAILED;
    }

    /** A place to talk to that is not one (a malformed --etcd URL): invalid input, not an unreachable daemon. */
    public static final class InvalidTarget extends IOException
    {
        public InvalidTarget(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    public static int unreachable(final IOException unreachable, final PrintStream err)
    {
        err.println("podswitch: " + unreachable.getMessage());
        return unreachable instanceof InvalidTarget ? EXIT_INVALID : EXIT_FAILED;
    }
}
