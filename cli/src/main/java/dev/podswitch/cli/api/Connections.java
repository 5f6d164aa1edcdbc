package dev.podswitch.cli.api;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code get connections}: where the nodes' conntrack tables are read ({@code GET
 * /apis/podswitch.dev/v1/connections}) and their table, {@code NODE PROTOCOL SOURCE DESTINATION
 * STATE AGE ZONE} (wide: and {@code EXPIRES ADMITTED PACKETS}).
 */
final class Connections
{
    static final String PATH = "/apis/podswitch.dev/v1/connections";

    private Connections()
    {
    }

    static String path(final String namespace, final String node)
    {
        final StringBuilder path = new StringBuilder(PATH);
        if (node != null)
        {
            path.append("?node=").append(URLEncoder.encode(node, StandardCharsets.UTF_8));
        }
        if (namespace != null)
        {
            path.append(node == null ? '?' : '&').append("namespace=").append(URLEncoder.encode(namespace,
                StandardCharsets.UTF_8));
        }
        return path.toString();
    }

    static void rows(final List<Map<String, Object>> items, final boolean wide, final List<List<String>> rows)
    {
        rows.add(wide ? List.of("NODE", "PROTOCOL", "SOURCE", "DESTINATION", "STATE", "AGE", "ZONE", "EXPIRES", "ADMITTED",
            "PACKETS") : List.of("NODE", "PROTOCOL", "SOURCE", "DESTINATION", "STATE", "AGE", "ZONE"));
        for (final Map<String, Object> connection : items)
        {
            final List<String> row = new ArrayList<>(List.of(Resources.text(connection.get("node")),
                Resources.text(connection.get("protocol")), endpoint(connection.get("source")),
                endpoint(connection.get("destination")), Resources.text(connection.get("state")),
                duration(connection.get("ageSeconds")), Resources.text(connection.get("zone"))));
            if (wide)
            {
                final Map<String, Object> packets = Resources.map(connection.get("packets"));
                row.add(duration(connection.get("expiresInSeconds")));
                row.add(Resources.text(connection.get("admitted")) + " (generation "
                    + Resources.text(connection.get("policyGeneration"))
                    + (Boolean.TRUE.equals(connection.get("policyChangedSince")) ? ", policy changed since" : "") + ")");
                row.add(Resources.text(packets.get("original")) + "/" + Resources.text(packets.get("reply")));
            }
            rows.add(row);
        }
    }

    /** {@code 10.244.0.10:43512 (default/web)}: address, port where the protocol has ports, and who has the address. */
    static String endpoint(final Object value)
    {
        final Map<String, Object> endpoint = Resources.map(value);
        final StringBuilder text = new StringBuilder(Resources.text(endpoint.get("ip")));
        if (endpoint.get("port") != null)
        {
            text.append(':').append(endpoint.get("port"));
        }
        final Object owner = endpoint.get("pod") != null ? endpoint.get("pod") : endpoint.get("host");
        if (owner != null)
        {
            text.append(" (").append(owner).append(')');
        }
        return text.toString();
    }

    /** As kubectl prints ages: {@code 42s}, {@code 3m12s}, {@code 5h4m}, {@code 2d3h}. */
    static String duration(final Object value)
    {
        if (!(value instanceof final Number number))
        {
            return "<unknown>";
        }
        final long seconds = number.longValue();
        if (seconds < 60)
        {
            return seconds + "s";
        }
        if (seconds < 3600)
        {
            return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
        }
        if (seconds < 86_400)
        {
            return seconds / 3600 + "h" + (seconds % 3600 / 60 == 0 ? "" : seconds % 3600 / 60 + "m");
        }
        return seconds / 86_400 + "d" + (seconds % 86_400 / 3600 == 0 ? "" : seconds % 86_400 / 3600 + "h");
    }
}
