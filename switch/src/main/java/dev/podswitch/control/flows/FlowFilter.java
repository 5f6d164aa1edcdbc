package dev.podswitch.control.flows;

import java.util.Map;

/**
 * Which flows a reader wants ({@code podswitch observe}'s options): every field null or 0 is "any".
 *
 * @param pod       {@code ns/name}: flows from or to it.
 * @param fromPod   {@code ns/name}: flows from it.
 * @param toPod     {@code ns/name}: flows to it.
 * @param namespace flows from or to a pod of it.
 * @param verdict   FORWARDED or DROPPED.
 * @param protocol  TCP, UDP, ICMPv4 or SCTP.
 * @param port      either port of the flow.
 * @param node      the node that recorded it.
 */
public record FlowFilter(String pod, String fromPod, String toPod, String namespace, String verdict, String protocol,
    int port, String node)
{
    public static final FlowFilter ANY = new FlowFilter(null, null, null, null, null, null, 0, null);

    /** Whether the record (as {@link FlowView} renders it) passes. */
    public boolean matches(final Map<String, Object> flow)
    {
        final String source = key(flow.get("source"));
        final String destination = key(flow.get("destination"));
        return (pod == null || pod.equals(source) || pod.equals(destination))
            && (fromPod == null || fromPod.equals(source))
            && (toPod == null || toPod.equals(destination))
            && (namespace == null || namespace.equals(namespaceOf(flow.get("source")))
                || namespace.equals(namespaceOf(flow.get("destination"))))
            && (verdict == null || verdict.equalsIgnoreCase(String.valueOf(flow.get("verdict"))))
            && (protocol == null || l4Has(flow, protocol))
            && (port == 0 || hasPort(flow, port))
            && (node == null || node.equals(flow.get("node_name")));
    }

    private static String key(final Object endpoint)
    {
        if (endpoint instanceof final Map<?, ?> map && map.get("pod_name") != null)
        {
            return map.get("namespace") + "/" + map.get("pod_name");
        }
        return null;
    }

    private static Object namespaceOf(final Object endpoint)
    {
        return endpoint instanceof final Map<?, ?> map ? map.get("namespace") : null;
    }

    private static boolean l4Has(final Map<String, Object> flow, final String wanted)
    {
        return flow.get("l4") instanceof final Map<?, ?> l4 && l4.keySet().stream()
            .anyMatch(name -> String.valueOf(name).equalsIgnoreCase(wanted));
    }

    private static boolean hasPort(final Map<String, Object> flow, final int wanted)
    {
        if (flow.get("l4") instanceof final Map<?, ?> l4)
        {
            for (final Object fields : l4.values())
            {
                if (fields instanceof final Map<?, ?> ports
                    && (Integer.valueOf(wanted).equals(ports.get("source_port"))
                        || Integer.valueOf(wanted).equals(ports.get("destination_port"))))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
