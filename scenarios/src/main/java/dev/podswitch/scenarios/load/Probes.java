package dev.podswitch.scenarios.load;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.model.ContainerPort;
import org.snakeyaml.engine.v2.nodes.Node;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Protocols and ports as scenarios and container ports write them. */
final class Probes
{
    static final String PORT_PROTOCOLS = String.join(", ", IpProtocol.portedNames());
    static final String PROBE_PROTOCOLS = PORT_PROTOCOLS + ", " + IpProtocol.ICMP.name();

    private Probes()
    {
    }

    /** Upper case only, as the API server accepts protocols; "tcp" gets a hint rather than a guess. */
    static IpProtocol protocol(final Origin origin, final Node node, final String path, final boolean allowIcmp)
        throws ScenarioException
    {
        final String text = Values.text(origin, node, path);
        final String choices = allowIcmp ? PROBE_PROTOCOLS : PORT_PROTOCOLS;
        for (final IpProtocol protocol : IpProtocol.values())
        {
            if (protocol.name().equals(text) && (allowIcmp || protocol.hasPorts()))
            {
                return protocol;
            }
            if (protocol.name().equalsIgnoreCase(text) && (allowIcmp || protocol.hasPorts()))
            {
                throw origin.error(node, path, "protocol must be upper case, as in Kubernetes: write " + protocol.name() +
                    ", got \"" + text + "\"");
            }
        }
        throw origin.error(node, path, "protocol must be one of " + choices + ", got \"" + text + "\"");
    }

    /**
     * The port of a probe: required and 1-65535 for protocols with ports, absent (or 0) for ICMP,
     * which then reads as 0.
     */
    static int port(final Origin origin, final YamlMap map, final String key, final IpProtocol protocol)
        throws ScenarioException
    {
        final Node node = map.value(key);
        final String path = map.pathOf(key);
        if (!protocol.hasPorts())
        {
            if (node != null && Values.integer(origin, node, path) != 0)
            {
                throw origin.error(node, path, "ICMP has no ports: remove \"" + key + "\" (got " +
                    Values.describe(node) + ")");
            }
            return 0;
        }
        if (node == null)
        {
            throw origin.error(map.node(), path, "missing required field \"" + key + "\" for " + protocol);
        }
        final int port = Values.integer(origin, node, path);
        if (port < 1 || port > 65535)
        {
            throw origin.error(node, path, "must be 1-65535 for " + protocol + ", got " + port);
        }
        return port;
    }

    /** {@code [{name, containerPort, protocol}]}: what a pod or host serves. */
    static List<ContainerPort> containerPorts(
        final Origin origin,
        final Node node,
        final String path,
        final String... moreFields) throws ScenarioException
    {
        final List<Node> entries = Values.list(origin, node, path);
        final List<ContainerPort> ports = new ArrayList<>(entries.size());
        final Set<String> names = new HashSet<>();
        for (int i = 0; i < entries.size(); i++)
        {
            final String entryPath = path + "[" + i + "]";
            final YamlMap entry = YamlMap.of(origin, entries.get(i), entryPath);
            final List<String> fields = new ArrayList<>(List.of("name", "containerPort", "protocol"));
            fields.addAll(List.of(moreFields));
            entry.allowOnly(fields.toArray(String[]::new));
            String name = null;
            if (entry.value("name") != null)
            {
                name = Values.text(origin, entry.value("name"), entry.pathOf("name"));
                final String problem = KubeSyntax.portNameProblem(name);
                if (problem != null)
                {
                    throw origin.error(entry.value("name"), entry.pathOf("name"), "invalid port name \"" + name + "\": " +
                        problem);
                }
                if (!names.add(name))
                {
                    throw origin.error(entry.value("name"), entry.pathOf("name"), "duplicate port name \"" + name + "\"");
                }
            }
            final IpProtocol protocol = entry.value("protocol") == null ?
                IpProtocol.TCP : protocol(origin, entry.value("protocol"), entry.pathOf("protocol"), false);
            final Node portNode = entry.require("containerPort");
            final int port = Values.integer(origin, portNode, entry.pathOf("containerPort"));
            if (port < 1 || port > 65535)
            {
                throw origin.error(portNode, entry.pathOf("containerPort"), "must be 1-65535, got " + port);
            }
            ports.add(new ContainerPort(name, port, protocol));
        }
        return ports;
    }
}
