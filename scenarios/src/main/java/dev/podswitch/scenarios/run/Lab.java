package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.EmulatedCluster;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.policy.compile.IncrementalPolicyCompiler;
import dev.podswitch.policy.model.NamedPort;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.policy.model.PolicyEndpoint;
import dev.podswitch.scenarios.model.ContainerPort;
import dev.podswitch.scenarios.model.HostSpec;
import dev.podswitch.scenarios.model.NamespaceSpec;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import dev.podswitch.ipam.IpamStore;
import dev.podswitch.ipam.store.InMemoryIpamStore;

/**
 * A scenario's cluster while it runs: the emulated cluster (data plane and addresses) plus the
 * Kubernetes-level objects the scenario manipulates — namespaces and pods with their labels.
 * Labels do not change forwarding; they are what NetworkPolicy selects on.
 */
public final class Lab implements AutoCloseable
{
    static final String METADATA_NAME_LABEL = "kubernetes.io/metadata.name";

    private final EmulatedCluster cluster;
    private final LabEndpoints endpoints;
    private final List<String> nodeNames;
    private final Map<String, Map<String, String>> namespaceLabels = new LinkedHashMap<>();
    private final Map<String, PodSpec> podByKey = new LinkedHashMap<>();
    private final Map<String, HostSpec> hostByName = new LinkedHashMap<>();
    private final Map<String, NetworkPolicy> policyByKey = new LinkedHashMap<>();
    /** Keeps the last snapshot's identities, selectors and tables, so each publish compiles only what changed. */
    private final IncrementalPolicyCompiler policyCompiler = new IncrementalPolicyCompiler();
    private int spreadCursor;

    Lab(final Scenario scenario, final ClusterOptions.Underlay underlay)
    {
        this(scenario, underlay, ClusterOptions.DEFAULT_THREADS, ClusterOptions.DEFAULT_IDLE);
    }

    /** @param threads node agent threads, 0 for the driver's own (see {@link ClusterOptions#threads()}). */
    Lab(final Scenario scenario, final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle)
    {
        this(scenario, underlay, threads, idle, EmulatedEndpoints::new);
    }

    /**
     * Builds the scenario's initial state — namespaces, hosts, pods, the (empty) policy published —
     * with the pods and hosts made by {@code endpointsFactory}'s endpoints: virtual (emulated mode)
     * or live namespaces. If anything fails, what was made is closed again.
     */
    public Lab(final Scenario scenario, final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle,
        final Function<EmulatedCluster, LabEndpoints> endpointsFactory)
    {
        this(scenario, underlay, threads, idle, UnaryOperator.identity(), endpointsFactory);
    }

    /** As above, with the cluster's options adjusted by {@code tuning} (live labs: ring slots for 64 KiB frames). */
    public Lab(final Scenario scenario, final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle,
        final UnaryOperator<ClusterOptions> tuning, final Function<EmulatedCluster, LabEndpoints> endpointsFactory)
    {
        this(scenario, underlay, threads, idle, tuning, new InMemoryIpamStore(), endpointsFactory);
    }

    /**
     * As above, with IPAM state in {@code ipamStore}: the node agent keeps it in a file, so node
     * subnets and pod leases outlive a restart.
     */
    public Lab(final Scenario scenario, final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle,
        final UnaryOperator<ClusterOptions> tuning, final IpamStore ipamStore,
        final Function<EmulatedCluster, LabEndpoints> endpointsFactory)
    {
        this.nodeNames = scenario.cluster().nodes();
        this.cluster = EmulatedCluster.create(tuning.apply(ClusterOptions.of(scenario.cluster().podCidr(),
            scenario.cluster().nodeCidrSize(), nodeNames, underlay).withThreading(threads, idle)), ipamStore);
        LabEndpoints made = null;
        try
        {
            made = endpointsFactory.apply(cluster);
            this.endpoints = made;
            for (final NamespaceSpec namespace : scenario.namespaces())
            {
                labelNamespace(namespace.name(), namespace.labels());
            }
            for (final HostSpec host : scenario.hosts())
            {
                addHost(host);
            }
            for (final PodSpec pod : scenario.pods())
            {
                addPod(pod);
            }
            publishPolicy();
        }
        catch (final RuntimeException | Error failed)
        {
            try
            {
                if (made != null)
                {
                    made.close();
                }
            }
            catch (final RuntimeException alsoFailed)
            {
                failed.addSuppressed(alsoFailed);
            }
            finally
            {
                cluster.close();
            }
            throw failed;
        }
    }

    /** How this lab's pods exist and its probes travel. */
    public LabEndpoints endpoints()
    {
        return endpoints;
    }

    /** The node a pod ({@code namespace/name}) or host runs on (hosts: the first node's uplink), or null. */
    public String nodeOf(final String name)
    {
        final PodSpec pod = podByKey.get(name);
        if (pod != null)
        {
            return pod.node();
        }
        return hostByName.containsKey(name) ? nodeNames.getFirst() : null;
    }

    public EmulatedCluster cluster()
    {
        return cluster;
    }

    public Map<String, Map<String, String>> namespaces()
    {
        return Collections.unmodifiableMap(namespaceLabels);
    }

    public Map<String, PodSpec> pods()
    {
        return Collections.unmodifiableMap(podByKey);
    }

    public Map<String, HostSpec> hosts()
    {
        return Collections.unmodifiableMap(hostByName);
    }

    public Map<String, NetworkPolicy> policies()
    {
        return Collections.unmodifiableMap(policyByKey);
    }

    /**
     * Adds a pod someone else attached (a CNI ADD: the agent made its interface), so NetworkPolicy
     * selects it and protects it like any scenario pod; the new policy is published at once.
     */
    public void registerAttachedPod(final PodSpec pod)
    {
        if (podByKey.containsKey(pod.key()))
        {
            throw new IllegalArgumentException("pod " + pod.key() + " already exists");
        }
        namespaceLabels.computeIfAbsent(pod.namespace(), ns -> Map.of(METADATA_NAME_LABEL, ns));
        podByKey.put(pod.key(), pod);
        publishPolicy();
    }

    /** Forgets a pod registered by {@link #registerAttachedPod} and publishes the policy without it. */
    public void unregisterAttachedPod(final String key)
    {
        if (podByKey.remove(key) != null)
        {
            publishPolicy();
        }
    }

    /** {@code kubectl apply} of a NetworkPolicy on a running lab: compiled and published at once. */
    public void applyAndPublish(final NetworkPolicy policy)
    {
        applyPolicy(policy);
        publishPolicy();
    }

    /** {@code kubectl delete} of a NetworkPolicy on a running lab; false when there was none of that key. */
    public boolean deleteAndPublish(final String key)
    {
        if (!policyByKey.containsKey(key))
        {
            return false;
        }
        deletePolicy(key);
        publishPolicy();
        return true;
    }

    /** Creates or replaces a policy (like kubectl apply). */
    void applyPolicy(final NetworkPolicy policy)
    {
        policyByKey.put(policy.key(), policy);
    }

    /** Deletes a policy; deleting one that does not exist is an error the loader already reported. */
    void deletePolicy(final String key)
    {
        policyByKey.remove(key);
    }

    /**
     * Everything NetworkPolicy verdicts depend on, as one snapshot: namespaces with their labels,
     * pods and hosts with their addresses and ports, and the policies.
     */
    public PolicyCluster policyCluster()
    {
        final List<PolicyEndpoint> endpoints = new ArrayList<>();
        for (final PodSpec pod : podByKey.values())
        {
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.POD, pod.namespace(), pod.name(), Ipv4.parse(pod.ip()),
                pod.labels(), namedPorts(pod.ports())));
        }
        for (final HostSpec host : hostByName.values())
        {
            endpoints.add(new PolicyEndpoint(PolicyEndpoint.Kind.HOST, null, host.name(), Ipv4.parse(host.ip()), Map.of(),
                namedPorts(host.serves())));
        }
        return new PolicyCluster(namespaceLabels, endpoints, new ArrayList<>(policyByKey.values()));
    }

    /**
     * Compiles what changed since the last publish and swaps the new table into every node; new
     * connections see it at once. Each publish is one generation more than the last.
     */
    void publishPolicy()
    {
        cluster.publishPolicy(policyCompiler.update(policyCluster()));
    }

    private static List<NamedPort> namedPorts(final List<ContainerPort> ports)
    {
        final List<NamedPort> named = new ArrayList<>(ports.size());
        for (final ContainerPort port : ports)
        {
            named.add(new NamedPort(port.name(), port.protocol() == null ? IpProtocol.TCP : port.protocol(),
                port.containerPort()));
        }
        return named;
    }

    /** Replaces a namespace's labels (creating it), keeping the label the API server always sets. */
    void labelNamespace(final String namespace, final Map<String, String> labels)
    {
        final Map<String, String> withName = new LinkedHashMap<>(labels);
        withName.put(METADATA_NAME_LABEL, namespace);
        namespaceLabels.put(namespace, withName);
    }

    void addPod(final PodSpec pod)
    {
        final String node = pod.node() != null ? pod.node() : nodeNames.get(spreadCursor++ % nodeNames.size());
        final int fixedIp = pod.ip() == null ? 0 : Ipv4.parse(pod.ip());
        namespaceLabels.computeIfAbsent(pod.namespace(), ns -> Map.of(METADATA_NAME_LABEL, ns));
        final int ip = endpoints.attachPod(pod.key(), node, fixedIp, pod.ports());
        podByKey.put(pod.key(), new PodSpec(pod.namespace(), pod.name(), node, Ipv4.format(ip),
            pod.labels(), pod.ports(), pod.where()));
    }

    /** Hosts attach to the first node's uplink: the machine outside the cluster is one hop from it. */
    private void addHost(final HostSpec host)
    {
        endpoints.attachHost(host.name(), nodeNames.getFirst(), Ipv4.parse(host.ip()), host.serves());
        hostByName.put(host.name(), host);
    }

    void labelPod(final String key, final Map<String, String> labels)
    {
        final PodSpec pod = podByKey.get(key);
        podByKey.put(key, new PodSpec(pod.namespace(), pod.name(), pod.node(), pod.ip(), labels, pod.ports(), pod.where()));
    }

    void deletePod(final String key)
    {
        endpoints.detach(key);
        podByKey.remove(key);
    }

    boolean hasPod(final String key)
    {
        return podByKey.containsKey(key);
    }

    @Override
    public void close()
    {
        try
        {
            endpoints.close();
        }
        finally
        {
            cluster.close();
        }
    }
}
