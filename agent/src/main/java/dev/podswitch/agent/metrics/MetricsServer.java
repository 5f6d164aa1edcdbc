package dev.podswitch.agent.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * {@code GET /metrics} in the Prometheus text format, on exactly the address asked for (a port of
 * 0 picks a free one). There is no authentication: anyone who reaches the address reads every
 * node's counters, pod-free as they are, so bind it to loopback or a network only Prometheus is on
 * (docs/observability.md).
 */
public final class MetricsServer implements AutoCloseable
{
    private final HTTPServer server;
    private final InetSocketAddress address;

    private MetricsServer(final HTTPServer server, final InetSocketAddress address)
    {
        this.server = server;
        this.address = address;
    }

    /**
     * Serves {@code registry} on {@code address}.
     *
     * @throws java.net.BindException naming the address when it cannot listen there (in use, not this host's).
     */
    public static MetricsServer start(final InetSocketAddress address, final PrometheusRegistry registry)
        throws java.net.BindException
    {
        if (address.isUnresolved())
        {
            throw new java.net.BindException("cannot serve /metrics on " + address.getHostString()
                + ": the name does not resolve");
        }
        final HTTPServer server;
        try
        {
            server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort()).registry(registry)
                .buildAndStart();
        }
        catch (final IOException failed)
        {
            final java.net.BindException cannot = new java.net.BindException("cannot serve /metrics on "
                + address.getHostString() + ":" + address.getPort() + ": " + failed.getMessage());
            cannot.initCause(failed);
            throw cannot;
        }
        return new MetricsServer(server, new InetSocketAddress(address.getAddress(), server.getPort()));
    }

    /** Where it listens (the port chosen when 0 was asked for). */
    public InetSocketAddress address()
    {
        return address;
    }

    /** {@code HOST:PORT} (an IPv6 host in brackets), as a scrape config's target takes it. */
    public String hostAndPort()
    {
        final String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** {@code http://HOST:PORT/metrics}, as curl takes it. */
    public String url()
    {
        return "http://" + hostAndPort() + "/metrics";
    }

    @Override
    public void close()
    {
        server.close();
    }
}
