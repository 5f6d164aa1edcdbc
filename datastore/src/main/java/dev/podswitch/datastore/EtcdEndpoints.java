package dev.podswitch.datastore;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --etcd URL[,URL…]} flag: etcd client URLs, {@code http://host:port} each. TLS to etcd
 * is not supported yet, so an {@code https} URL is refused by name rather than tried in the clear.
 */
public record EtcdEndpoints(List<URI> uris)
{
    public EtcdEndpoints
    {
        uris = List.copyOf(uris);
        if (uris.isEmpty())
        {
            throw new IllegalArgumentException("--etcd needs at least one URL, e.g. http://10.0.0.1:2379");
        }
    }

    public static EtcdEndpoints parse(final String flag)
    {
        final List<URI> uris = new ArrayList<>();
        for (final String part : flag.split(","))
        {
            final String text = part.strip();
            if (text.isEmpty())
            {
                continue;
            }
            final URI uri;
            try
            {
                uri = new URI(text);
            }
            catch (final URISyntaxException malformed)
            {
                throw new IllegalArgumentException("--etcd: \"" + text + "\" is not a URL: " + malformed.getReason());
            }
            if ("https".equals(uri.getScheme()))
            {
                throw new IllegalArgumentException("--etcd: " + text + ": TLS to etcd is not supported yet; "
                    + "use http:// on a trusted network (see docs/multi-host.md)");
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1 || !isBare(uri))
            {
                throw new IllegalArgumentException("--etcd: \"" + text + "\" must be http://HOST:PORT, e.g. "
                    + "http://10.0.0.1:2379");
            }
            uris.add(uri);
        }
        return new EtcdEndpoints(uris);
    }

    private static boolean isBare(final URI uri)
    {
        return (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/")) && uri.getQuery() == null
            && uri.getUserInfo() == null;
    }

    @Override
    public String toString()
    {
        return String.join(",", uris.stream().map(URI::toString).toList());
    }
}
