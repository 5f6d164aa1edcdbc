package dev.podswitch.cli.bench;

import dev.podswitch.cli.api.ApiClient;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * What one agent's {@code GET /status} says of its datastore, for {@link PropagationProbe}: the
 * etcd revision it has applied, how many changes it refused, and how many keys it skipped.
 */
record AgentView(long appliedRevision, long refused, int skipped)
{
    /** Asks the agent behind {@code client}; an agent without {@code --etcd} is an error that says so. */
    static AgentView of(final ApiClient client) throws IOException
    {
        final ApiClient.Response response = client.get("/status");
        if (!response.ok())
        {
            throw new IOException(client.describe() + ": GET /status: HTTP " + response.status() + ": " + response.errorText());
        }
        final Map<?, ?> datastore = findDatastore(response.body());
        if (datastore == null || !(datastore.get("appliedRevision") instanceof final Number applied))
        {
            throw new IOException(client.describe() + ": GET /status has no datastore.appliedRevision (is the agent "
                + "running with --etcd?)");
        }
        final long refused = datastore.get("refusedChanges") instanceof final Number number ? number.longValue() : 0;
        final int skipped = datastore.get("skippedKeys") instanceof final List<?> list ? list.size() : 0;
        return new AgentView(applied.longValue(), refused, skipped);
    }

    /** The {@code datastore} object, wherever in the status it is nested. */
    private static Map<?, ?> findDatastore(final Object node)
    {
        if (node instanceof final Map<?, ?> map)
        {
            if (map.get("datastore") instanceof final Map<?, ?> found && found.containsKey("appliedRevision"))
            {
                return found;
            }
            for (final Object child : map.values())
            {
                final Map<?, ?> found = findDatastore(child);
                if (found != null)
                {
                    return found;
                }
            }
        }
        else if (node instanceof final List<?> list)
        {
            for (final Object child : list)
            {
                final Map<?, ?> found = findDatastore(child);
                if (found != null)
                {
                    return found;
                }
            }
        }
        return null;
    }
}
