package dev.podswitch.control.flows;

import java.util.List;
import java.util.Map;

/**
 * A flow (as the control API renders it, Hubble's fields) in one readable line:
 * {@code 16:40:00.123 node-2 default/web:41234 -> prod/db:3306 TCP SYN DROPPED (ingress denied: prod/db-policy)}.
 */
public final class FlowLines
{
    private FlowLines()
    {
    }

    public static String compact(final Map<String, Object> flow)
    {
        final StringBuilder line = new StringBuilder();
        final String time = String.valueOf(flow.get("time"));
        line.append(time.length() >= 23 ? time.substring(11, 23) : time).append(' ').append(flow.get("node_name")).append(' ');
        final Map<?, ?> l4 = flow.get("l4") instanceof final Map<?, ?> map ? map : Map.of();
        final String protocol = l4.isEmpty() ? null : String.valueOf(l4.keySet().iterator().next());
        final Map<?, ?> fields = protocol == null ? Map.of() : (Map<?, ?>)l4.get(protocol);
        line.append(endpoint(flow.get("source"), fields.get("source_port"))).append(" -> ")
            .append(endpoint(flow.get("destination"), fields.get("destination_port")));
        if (protocol != null)
        {
            line.append(' ').append(protocol);
            if (fields.get("flags") instanceof final Map<?, ?> flags && !flags.isEmpty())
            {
                line.append(' ').append(String.join(",", flags.keySet().stream().map(String::valueOf).toList()));
            }
            if (fields.get("type") != null)
            {
                line.append(" type ").append(fields.get("type"));
            }
        }
        line.append(' ').append(flow.get("verdict"));
        final String why = why(flow);
        if (!why.isEmpty())
        {
            line.append(" (").append(why).append(')');
        }
        return line.toString();
    }

    private static String endpoint(final Object endpoint, final Object port)
    {
        final Map<?, ?> map = endpoint instanceof final Map<?, ?> fields ? fields : Map.of();
        final String name = map.get("pod_name") != null ? map.get("namespace") + "/" + map.get("pod_name")
            : map.get("ip") != null ? map.get("ip") + (map.get("name") == null ? "" : " (" + map.get("name") + ")")
            : String.valueOf(map.get("name"));
        return port == null ? name : name + ":" + port;
    }

    /** The policies that decided, or the drop's reason when no policy did. */
    private static String why(final Map<String, Object> flow)
    {
        final StringBuilder why = new StringBuilder();
        for (final String direction : List.of("ingress", "egress"))
        {
            append(why, flow.get(direction + "_denied_by"), direction + " denied: ");
        }
        if (why.isEmpty() && "DROPPED".equals(flow.get("verdict")))
        {
            why.append(flow.get("drop_reason_desc"));
        }
        for (final String direction : List.of("egress", "ingress"))
        {
            append(why, flow.get(direction + "_allowed_by"), direction + " allowed: ");
        }
        if (flow.get("left_out_before") != null)
        {
            why.append(why.isEmpty() ? "" : "; ").append(flow.get("left_out_before")).append(" like it not shown");
        }
        return why.toString();
    }

    private static void append(final StringBuilder why, final Object policies, final String label)
    {
        if (!(policies instanceof final List<?> list) || list.isEmpty())
        {
            return;
        }
        why.append(why.isEmpty() ? "" : "; ").append(label);
        for (int i = 0; i < list.size(); i++)
        {
            final Map<?, ?> policy = (Map<?, ?>)list.get(i);
            why.append(i == 0 ? "" : ", ").append(policy.get("namespace")).append('/').append(policy.get("name"));
            if (policy.get("rule") != null)
            {
                why.append(' ').append(policy.get("rule"));
            }
        }
    }
}
