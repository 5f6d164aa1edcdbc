package dev.podswitch.agent.metrics;

import dev.podswitch.agent.cni.CniRequestListener;
import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ClusterModel;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * A process's {@code /metrics}: the data plane of the nodes it runs, its policy compiles, its CNI
 * requests (an agent's; a lab has none) and the JVM's own, in a registry of its own (not the
 * client's global one, so two servers in one JVM — tests — never meet), served by a
 * {@link MetricsServer}. The daemon wires {@link #cniRequests()} and {@link #policyCompiles()} into
 * its CNI front and cluster model; closing stops the server.
 */
public final class AgentMetrics implements AutoCloseable
{
    private final CniRequestListener cniRequests;
    private final ClusterModel.CompileTimer policyCompiles;
    private final MetricsServer server;

    private AgentMetrics(final CniRequestListener cniRequests, final ClusterModel.CompileTimer policyCompiles,
        final MetricsServer server)
    {
        this.cniRequests = cniRequests;
        this.policyCompiles = policyCompiles;
        this.server = server;
    }

    /** An agent's metrics: data plane, policy compiles and CNI requests. */
    public static AgentMetrics forAgent(final InetSocketAddress address,
        final Supplier<? extends Collection<ClusterNode>> nodes) throws IOException
    {
        final PrometheusRegistry registry = common(nodes);
        return start(address, registry, CniMetrics.register(registry));
    }

    /** A lab's ({@code podswitch up}): data plane and policy compiles; nobody calls its CNI. */
    public static AgentMetrics forLab(final InetSocketAddress address,
        final Supplier<? extends Collection<ClusterNode>> nodes) throws IOException
    {
        return start(address, common(nodes), CniRequestListener.NONE);
    }

    private static PrometheusRegistry common(final Supplier<? extends Collection<ClusterNode>> nodes)
    {
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new DataplaneCollector(nodes));
        registry.register((MultiCollector)Jvm.REGISTRY::scrape);
        return registry;
    }

    /**
     * The JVM's and the process's metrics, registered once per JVM and read by every server's
     * registry: {@link JvmMetrics} keeps each registry it is given in a static set for good, which
     * would keep every closed server's registry — and the cluster its collector reads — alive.
     */
    private static final class Jvm
    {
        static final PrometheusRegistry REGISTRY = new PrometheusRegistry();

        static
        {
            JvmMetrics.builder().register(REGISTRY);
        }
    }

    private static AgentMetrics start(final InetSocketAddress address, final PrometheusRegistry registry,
        final CniRequestListener cniRequests) throws IOException
    {
        final PolicyCompileMetrics compiles = PolicyCompileMetrics.register(registry);
        return new AgentMetrics(cniRequests, compiles, MetricsServer.start(address, registry));
    }

    public CniRequestListener cniRequests()
    {
        return cniRequests;
    }

    public ClusterModel.CompileTimer policyCompiles()
    {
        return policyCompiles;
    }

    public InetSocketAddress address()
    {
        return server.address();
    }

    /** {@code HOST:PORT}, as {@code GET /status} and the start-up line report it. */
    public String hostAndPort()
    {
        return server.hostAndPort();
    }

    public String url()
    {
        return server.url();
    }

    @Override
    public void close()
    {
        server.close();
    }
}
