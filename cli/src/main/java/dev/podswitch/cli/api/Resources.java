package dev.podswitch.cli.api;

import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The resources {@code get} knows: where each lives in the API, its flat form (what {@code -o json}
 * prints, one object per item, stable for scripts) and its table (what people read).
 */
public final class Resources
{
    public enum Kind
    {
        PODS, NODES, NAMESPACES, NETWORKPOLICIES, CONNECTIONS;

        public static Kind of(final String name)
        {
            return switch (name.toLowerCase(Locale.ROOT))
            {
                case "pods", "pod", "po" -> PODS;
                case "nodes", "node", "no" -> NODES;
                case "namespaces", "namespace", "ns" -> NAMESPACES;
                case "networkpolicies", "networkpolicy", "netpol" -> NETWORKPOLICIES;
                case "connections", "connection", "conn" -> CONNECTIONS;
                default -> null;
            };
        }

        public String path(final String namespace)
        {
            return path(namespace, null);
        }

        /** @param node only this node's (connections); null: every node's. */
        public String path(final String namespace, final String node)
        {
            return switch (this)
            {
                case PODS -> namespace == null ? "/api/v1/pods" : "/api/v1/namespaces/" + namespace + "/pods";
                case NODES -> "/api/v1/nodes";
                case NAMESPACES -> "/api/v1/namespaces";
                case NETWORKPOLICIES -> namespace == null ? "/apis/networking.k8s.io/v1/networkpolicies"
                    : "/apis/networking.k8s.io/v1/namespaces/" + namespace + "/networkpolicies";
                case CONNECTIONS -> Connections.path(namespace, node);
            };
        }

        /** One item as the flat object {@code -o json} prints; policies stay whole manifests. */
        public Map<String, Object> flatten(final Map<String, Object> item)
        {
            final Map<String, Object> metadata = map(item.get("metadata"));
            final Map<String, Object> flat = new LinkedHashMap<>();
            switch (this)
            {
                case PODS ->
                {
                    flat.put("namespace", metadata.get("namespace"));
                    flat.put("name", metadata.get("name"));
                    flat.put("node", map(item.get("spec")).get("nodeName"));
                    flat.put("ip", map(item.get("status")).get("podIP"));
                    flat.put("labels", metadata.getOrDefault("labels", Map.of()));
                }
                case NODES ->
                {
                    flat.put("name", metadata.get("name"));
                    flat.put("podCIDR", map(item.get("spec")).get("podCIDR"));
                    final Map<String, Object> status = map(item.get("status"));
                    final Object address = list(status.get("addresses")).stream().map(Resources::map)
                        .filter(entry -> "InternalIP".equals(entry.get("type"))).map(entry -> entry.get("address"))
                        .findFirst().orElse(null);
                    flat.put("underlayAddress", address);
                    flat.put("ready", list(status.get("conditions")).stream().map(Resources::map)
                        .anyMatch(entry -> "Ready".equals(entry.get("type")) && "True".equals(entry.get("status"))));
                }
                case NAMESPACES ->
                {
                    flat.put("name", metadata.get("name"));
                    flat.put("labels", metadata.getOrDefault("labels", Map.of()));
                }
                case NETWORKPOLICIES, CONNECTIONS -> flat.putAll(item);
            }
            return flat;
        }

        public String table(final List<Map<String, Object>> items, final boolean wide)
        {
            final List<List<String>> rows = new ArrayList<>();
            switch (this)
            {
                case PODS ->
                {
                    rows.add(wide ? List.of("NAMESPACE", "NAME", "IP", "NODE", "LABELS")
                        : List.of("NAMESPACE", "NAME", "IP", "NODE"));
                    for (final Map<String, Object> pod : items)
                    {
                        final List<String> row = new ArrayList<>(List.of(text(pod.get("namespace")), text(pod.get("name")),
                            text(pod.get("ip")), text(pod.get("node"))));
                        if (wide)
                        {
                            row.add(labels(pod.get("labels")));
                        }
                        rows.add(row);
                    }
                }
                case NODES ->
                {
                    rows.add(List.of("NAME", "STATUS", "POD CIDR", "UNDERLAY ADDRESS"));
                    for (final Map<String, Object> node : items)
                    {
                        rows.add(List.of(text(node.get("name")), Boolean.TRUE.equals(node.get("ready")) ? "Ready" : "NotReady",
                            text(node.get("podCIDR")), text(node.get("underlayAddress"))));
                    }
                }
                case NAMESPACES ->
                {
                    rows.add(List.of("NAME", "LABELS"));
                    for (final Map<String, Object> namespace : items)
                    {
                        rows.add(List.of(text(namespace.get("name")), labels(namespace.get("labels"))));
                    }
                }
                case NETWORKPOLICIES ->
                {
                    rows.add(wide ? List.of("NAMESPACE", "NAME", "POD-SELECTOR", "POLICY TYPES")
                        : List.of("NAMESPACE", "NAME", "POD-SELECTOR"));
                    for (final Map<String, Object> policy : items)
                    {
                        final Map<String, Object> metadata = map(policy.get("metadata"));
                        final Map<String, Object> spec = map(policy.get("spec"));
                        final List<String> row = new ArrayList<>(List.of(text(metadata.get("namespace")),
                            text(metadata.get("name")), selector(spec.get("podSelector"))));
                        if (wide)
                        {
                            row.add(spec.get("policyTypes") == null ? "(from rules)" : String.join(",",
                                list(spec.get("policyTypes")).stream().map(String::valueOf).toList()));
                        }
                        rows.add(row);
                    }
                }
                case CONNECTIONS -> Connections.rows(items, wide, rows);
            }
            if (rows.size() == 1)
            {
                return "No resources found.\n";
            }
            return render(rows);
        }
    }

    private Resources()
    {
    }

    public static String yaml(final Object value)
    {
        return new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build()).dumpToString(value);
    }

    static String render(final List<List<String>> rows)
    {
        final int[] widths = new int[rows.getFirst().size()];
        for (final List<String> row : rows)
        {
            for (int i = 0; i < row.size(); i++)
            {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        final StringBuilder text = new StringBuilder();
        for (final List<String> row : rows)
        {
            for (int i = 0; i < row.size(); i++)
            {
                text.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 3) + "s", row.get(i)));
            }
            text.append('\n');
        }
        return text.toString();
    }

    private static String labels(final Object labels)
    {
        final Map<String, Object> sorted = new TreeMap<>(map(labels));
        if (sorted.isEmpty())
        {
            return "<none>";
        }
        final List<String> pairs = new ArrayList<>();
        sorted.forEach((key, value) -> pairs.add(key + "=" + value));
        return String.join(",", pairs);
    }

    private static String selector(final Object selector)
    {
        final Map<String, Object> fields = map(selector);
        final Map<String, Object> matchLabels = map(fields.get("matchLabels"));
        if (matchLabels.isEmpty() && list(fields.get("matchExpressions")).isEmpty())
        {
            return "<none>";
        }
        return labels(matchLabels) + (list(fields.get("matchExpressions")).isEmpty() ? "" : " +expressions");
    }

    static String text(final Object value)
    {
        return value == null ? "<none>" : String.valueOf(value);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(final Object value)
    {
        return value instanceof Map<?, ?> ? (Map<String, Object>)value : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(final Object value)
    {
        return value instanceof List<?> ? (List<Object>)value : List.of();
    }
}
