package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.ClusterOptions;
import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.Host;
import dev.podswitch.control.model.LabelEdit;
import dev.podswitch.control.model.ModelException;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Namespace;
import dev.podswitch.control.model.Pod;
import dev.podswitch.control.model.StoredPolicy;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.ipam.IpamStore;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.store.InMemoryIpamStore;
import dev.podswitch.policy.model.NamedPort;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.policy.model.PolicyCluster;
import dev.podswitch.scenarios.model.ContainerPort;
import dev.podswitch.scenarios.model.HostSpec;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.NamespaceSpec;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.Scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A scenario's cluster while it runs: a thin driver that turns the scenario's objects and steps
 * into changes of the {@link ClusterModel} (the one apply path: validate, change, compile, publish)
 * and attaches pods and hosts to the data plane through its {@link LabEndpoints} (virtual or
 * live). Labels do not change forwarding; they are what NetworkPolicy selects on.
 */
public final class Lab implements AutoCloseable
{
    private final ClusterDataplane cluster;
    private final LabEndpoints endpoints;
    private final List<String> nodeNames;
    private final ClusterModel model;
    /** What the scenario said of each pod beyond the model: its declared ports and where in the file. */
    private final Map<String, PodSpec> declaredPods = new LinkedHashMap<>();
    private final Map<String, HostSpec> hostByName = new LinkedHashMap<>();
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
        final Function<ClusterDataplane, LabEndpoints> endpointsFactory)
    {
        this(scenario, underlay, threads, idle, UnaryOperator.identity(), endpointsFactory);
    }

    /** As above, with the cluster's options adjusted by {@code tuning} (live labs: ring slots for 64 KiB frames). */
    public Lab(final Scenario scenario, final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle,
        final UnaryOperator<ClusterOptions> tuning, final Function<ClusterDataplane, LabEndpoints> endpointsFactory)
    {
        this(scenario, underlay, threads, idle, tuning, new InMemoryIpamStore(), endpointsFactory);
    }

    /**
     * As above, with IPAM state in {@code ipamStore}: the node agent keeps it in a file, so node
     * subnets and pod leases outlive a restart.
     */
    public Lab(final Scenario scenario, final ClusterOptions.Underlay underlay, final int threads, final IdleMode idle,
        final UnaryOperator<ClusterOptions> tuning, final IpamStore ipamStore,
        final Function<ClusterDataplane, LabEndpoints> endpointsFactory)
    {
        this.nodeNames = scenario.cluster().nodes();
        this.cluster = ClusterDataplane.create(tuning.apply(ClusterOptions.of(scenario.cluster().podCidr(),
            scenario.cluster().nodeCidrSize(), nodeNames, underlay).withThreading(threads, idle)), ipamStore);
        this.model = new ClusterModel(cluster::publishPolicy);
        LabEndpoints made = null;
        try
        {
            made = endpointsFactory.apply(cluster);
            this.endpoints = made;
            // The initial state is one apply: one compile and one publish, however many pods.
            final List<ClusterChange> initial = new ArrayList<>();
            for (final NamespaceSpec namespace : scenario.namespaces())
            {
                initial.add(new ClusterChange.PutNamespace(namespace.name(), namespace.labels()));
            }
            for (final HostSpec host : scenario.hosts())
            {
                initial.add(attachHost(host));
            }
            for (final PodSpec pod : scenario.pods())
            {
                initial.add(attachPod(pod));
            }
            apply(initial);
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
        final Pod pod = model.snapshot().pods().get(name);
        if (pod != null)
        {
            return pod.node();
        }
        return hostByName.containsKey(name) ? nodeNames.getFirst() : null;
    }

    public ClusterDataplane cluster()
    {
        return cluster;
    }

    /** The cluster model this lab drives: what a control API serving the lab reads and changes. */
    public ClusterModel model()
    {
        return model;
    }

    public Map<String, Map<String, String>> namespaces()
    {
        final Map<String, Map<String, String>> labels = new LinkedHashMap<>();
        model.snapshot().namespaces().forEach((name, namespace) -> labels.put(name, namespace.labels()));
        return Collections.unmodifiableMap(labels);
    }

    /** The pods now, as the scenario model describes them (labels and addresses from the cluster model). */
    public Map<String, PodSpec> pods()
    {
        final Map<String, PodSpec> pods = new LinkedHashMap<>();
        for (final Pod pod : model.snapshot().pods().values())
        {
            final PodSpec declared = declaredPods.get(pod.key());
            pods.put(pod.key(), new PodSpec(pod.namespace(), pod.name(), pod.node(), pod.ipText(), pod.labels(),
                containerPorts(pod.ports()), declared == null ? null : declared.where()));
        }
        return Collections.unmodifiableMap(pods);
    }

    public Map<String, HostSpec> hosts()
    {
        return Collections.unmodifiableMap(hostByName);
    }

    public Map<String, NetworkPolicy> policies()
    {
        final Map<String, NetworkPolicy> policies = new LinkedHashMap<>();
        for (final StoredPolicy stored : model.snapshot().policies().values())
        {
            policies.put(stored.key(), stored.policy());
        }
        return Collections.unmodifiableMap(policies);
    }

    /** Everything NetworkPolicy verdicts depend on, as one snapshot (see {@link ModelSnapshot#policyCluster()}). */
    public PolicyCluster policyCluster()
    {
        return model.snapshot().policyCluster();
    }

    /** Creates or replaces a NetworkPolicy (like kubectl apply); compiled and published at once. */
    void applyPolicy(final Manifest policy)
    {
        apply(List.of(new ClusterChange.ApplyNetworkPolicy(policy.body())));
    }

    /** Deletes a policy; deleting one that does not exist is an error the loader already reported. */
    void deletePolicy(final String key)
    {
        apply(List.of(new ClusterChange.DeleteNetworkPolicy(key)));
    }

    /** Replaces a namespace's labels (creating it), keeping the label the API server always sets. */
    void labelNamespace(final String namespace, final Map<String, String> labels)
    {
        apply(List.of(new ClusterChange.PutNamespace(namespace, withoutNameLabel(labels))));
    }

    void addPod(final PodSpec pod)
    {
        apply(List.of(attachPod(pod)));
    }

    void labelPod(final String key, final Map<String, String> labels)
    {
        apply(List.of(new ClusterChange.LabelPod(key, LabelEdit.replace(labels))));
    }

    void deletePod(final String key)
    {
        endpoints.detach(key);
        declaredPods.remove(key);
        apply(List.of(new ClusterChange.RemovePod(key)));
    }

    boolean hasPod(final String key)
    {
        return model.snapshot().pods().containsKey(key);
    }

    /** Attaches the pod to its node (spread in order when the scenario names none) and says it to the model. */
    private ClusterChange attachPod(final PodSpec pod)
    {
        final String node = pod.node() != null ? pod.node() : nodeNames.get(spreadCursor++ % nodeNames.size());
        final int fixedIp = pod.ip() == null ? 0 : Ipv4.parse(pod.ip());
        final int ip = endpoints.attachPod(pod.key(), node, fixedIp, pod.ports());
        declaredPods.put(pod.key(), pod);
        return new ClusterChange.AddPod(new Pod(pod.namespace(), pod.name(), node, ip, pod.labels(),
            namedPorts(pod.ports()), pod.key()));
    }

    /** Hosts attach to the first node's uplink: the machine outside the cluster is one hop from it. */
    private ClusterChange attachHost(final HostSpec host)
    {
        endpoints.attachHost(host.name(), nodeNames.getFirst(), Ipv4.parse(host.ip()), host.serves());
        hostByName.put(host.name(), host);
        return new ClusterChange.AddHost(new Host(host.name(), nodeNames.getFirst(), Ipv4.parse(host.ip()),
            namedPorts(host.serves())));
    }

    /** The scenario loader has checked every change already, so a refusal here is a bug: say it loudly. */
    private void apply(final List<ClusterChange> changes)
    {
        try
        {
            model.apply(changes);
        }
        catch (final ModelException refused)
        {
            throw new IllegalStateException("the cluster model refused a change the scenario loader accepted: "
                + refused.getMessage(), refused);
        }
        catch (final IOException cannotHappen)
        {
            throw new UncheckedIOException(cannotHappen);
        }
    }

    private static Map<String, String> withoutNameLabel(final Map<String, String> labels)
    {
        final Map<String, String> copy = new LinkedHashMap<>(labels);
        copy.remove(Namespace.METADATA_NAME_LABEL);
        return copy;
    }

    static List<NamedPort> namedPorts(final List<ContainerPort> ports)
    {
        final List<NamedPort> named = new ArrayList<>(ports.size());
        for (final ContainerPort port : ports)
        {
            named.add(new NamedPort(port.name(), port.protocol() == null ? IpProtocol.TCP : port.protocol(),
                port.containerPort()));
        }
        return named;
    }

    private static List<ContainerPort> containerPorts(final List<NamedPort> ports)
    {
        final List<ContainerPort> declared = new ArrayList<>(ports.size());
        for (final NamedPort port : ports)
        {
            declared.add(new ContainerPort(port.name(), port.port(), port.protocol()));
        }
        return declared;
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
