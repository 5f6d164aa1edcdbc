package dev.podswitch.scenarios.load;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.model.SourceLocation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What exists at the step being read: namespaces, pods, hosts and NetworkPolicies. The loader
 * replays the scenario's actions on it, step by step, so that a probe or action naming something
 * that does not exist at that point is reported where it is written. Used by one loader call only.
 */
final class Population
{
    private final Map<String, Map<String, String>> labelsByNamespace = new LinkedHashMap<>();
    private final Map<String, PodSpec> podByKey = new LinkedHashMap<>();
    private final Set<String> hosts = new LinkedHashSet<>();
    private final Set<String> policies = new LinkedHashSet<>();
    private final Map<Integer, String> ownerByFixedIp = new HashMap<>();

    void putNamespace(final String name, final Map<String, String> labels)
    {
        labelsByNamespace.put(name, labels);
    }

    boolean hasNamespace(final String name)
    {
        return labelsByNamespace.containsKey(name);
    }

    void requireNamespace(final Origin origin, final SourceLocation where, final String path, final String namespace)
        throws ScenarioException
    {
        if (!hasNamespace(namespace))
        {
            throw origin.error(where, path, "namespace \"" + namespace + "\" does not exist; as in Kubernetes it must " +
                "exist first: declare it under namespaces: (" + namespace + ": {}) or apply a Namespace manifest in an " +
                "earlier step" + suggestion(namespace, labelsByNamespace.keySet()));
        }
    }

    /** Adds a pod (pods:, addPods:); {@code replace} is kubectl apply of a Pod manifest. */
    void addPod(
        final Origin origin,
        final SourceLocation where,
        final String path,
        final PodSpec pod,
        final boolean replace) throws ScenarioException
    {
        requireNamespace(origin, where, path, pod.namespace());
        final PodSpec existing = podByKey.get(pod.key());
        if (existing != null && !replace)
        {
            throw origin.error(where, path, "duplicate pod \"" + pod.key() + "\": a pod of that name already exists in " +
                "namespace " + pod.namespace() + " (written at " + existing.where() + ")");
        }
        if (pod.ip() != null)
        {
            final int address = Ipv4.parse(pod.ip());
            final String owner = ownerByFixedIp.get(address);
            if (owner != null && !owner.equals(pod.key()))
            {
                throw origin.error(where, path, "IP " + pod.ip() + " is already used by " + owner);
            }
            ownerByFixedIp.put(address, pod.key());
        }
        podByKey.put(pod.key(), pod);
    }

    PodSpec requirePod(final Origin origin, final SourceLocation where, final String path, final String key)
        throws ScenarioException
    {
        final PodSpec pod = podByKey.get(key);
        if (pod == null)
        {
            throw origin.error(where, path, "no pod \"" + key + "\" exists at this step" + podHint(key) +
                suggestion(key, podByKey.keySet()));
        }
        return pod;
    }

    void replacePod(final PodSpec pod)
    {
        podByKey.put(pod.key(), pod);
    }

    void deletePod(final String key)
    {
        final PodSpec pod = podByKey.remove(key);
        if (pod != null && pod.ip() != null)
        {
            ownerByFixedIp.remove(Ipv4.parse(pod.ip()));
        }
    }

    /** Hosts are fixed for the whole scenario; {@code false} when the name is taken. */
    boolean addHost(final String name, final int address, final String owner)
    {
        if (ownerByFixedIp.putIfAbsent(address, owner) != null)
        {
            return false;
        }
        return hosts.add(name);
    }

    String ownerOf(final int address)
    {
        return ownerByFixedIp.get(address);
    }

    boolean isHost(final String name)
    {
        return hosts.contains(name);
    }

    void putPolicy(final String key)
    {
        policies.add(key);
    }

    void deletePolicy(final Origin origin, final SourceLocation where, final String path, final String key)
        throws ScenarioException
    {
        if (!policies.remove(key))
        {
            throw origin.error(where, path, "no NetworkPolicy \"" + key + "\" exists at this step" +
                (policies.isEmpty() ? " (none has been applied)" : "; existing: " + String.join(", ", policies)));
        }
    }

    /** A probe's source or destination: {@code namespace/pod} or a host's name. */
    void requireEndpoint(final Origin origin, final SourceLocation where, final String path, final String name)
        throws ScenarioException
    {
        if (!podByKey.containsKey(name) && !hosts.contains(name))
        {
            final List<String> endpoints = new ArrayList<>(podByKey.keySet());
            endpoints.addAll(hosts);
            throw origin.error(where, path, "no pod or host \"" + name + "\" exists at this step" + podHint(name) +
                suggestion(name, endpoints));
        }
    }

    private static String podHint(final String name)
    {
        return name.indexOf('/') < 0 ? " (pods are written namespace/pod, e.g. default/" + name + ")" : "";
    }

    private static String suggestion(final String name, final Collection<String> known)
    {
        return Suggest.didYouMean(name, known);
    }
}
