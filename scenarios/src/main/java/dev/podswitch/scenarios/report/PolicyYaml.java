package dev.podswitch.scenarios.report;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NetworkPolicy manifest as YAML in HTML, with each rule of {@code spec.ingress} and
 * {@code spec.egress}, each of its peers ({@code from}/{@code to}) and each of its ports wrapped
 * in an element the page can highlight when a cell says that rule decided. Element ids are
 * {@code PREFIX-ingress-0}, {@code PREFIX-ingress-0-peer-1}, {@code PREFIX-ingress-0-port-0}.
 */
final class PolicyYaml
{
    /** Plain scalars YAML would read as something other than the string they are. */
    private static final Pattern NEEDS_QUOTES = Pattern.compile(String.join("|",
        "",                                                  // the empty string
        ".*[:#\\[\\]{},&*!|>'\"%@`].*",                     // indicators anywhere
        "[-?\\s].*", ".*\\s",                                // a leading dash or space, a trailing space
        "(?i)(true|false|yes|no|on|off|null|~|y|n)",         // booleans and nulls of any YAML version
        "[-+]?[0-9][0-9_.eExXoO+-]*", "\\.(inf|nan)",         // numbers
        ".*[\\x00-\\x1f\\x7f].*"), Pattern.DOTALL);            // control characters, line breaks

    /** Where a rule, a peer of it or a port of it sits in the manifest. */
    private static final Pattern RULE_PATH =
        Pattern.compile("\\.spec\\.(ingress|egress)\\[(\\d+)](?:\\.(from|to|ports)\\[(\\d+)])?");

    private PolicyYaml()
    {
    }

    static String render(final Map<String, Object> manifest, final String idPrefix)
    {
        final StringBuilder out = new StringBuilder();
        map(manifest, 0, "", idPrefix, out);
        return out.toString();
    }

    private static void map(final Map<?, ?> map, final int indent, final String path, final String idPrefix,
        final StringBuilder out)
    {
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            final String key = String.valueOf(entry.getKey());
            final Object value = entry.getValue();
            out.append(" ".repeat(indent)).append("<span class=k>").append(Html.escape(scalar(key))).append("</span>:");
            if (isNested(value))
            {
                out.append('\n');
                value(value, value instanceof List<?> ? indent : indent + 2, path + "." + key, idPrefix, out);
            }
            else
            {
                out.append(' ').append(inline(value)).append('\n');
            }
        }
    }

    private static void list(final List<?> list, final int indent, final String path, final String idPrefix,
        final StringBuilder out)
    {
        for (int i = 0; i < list.size(); i++)
        {
            final Object item = list.get(i);
            final String itemPath = path + "[" + i + "]";
            final String id = anchor(itemPath, idPrefix);
            if (id != null)
            {
                out.append("<span class=rule id=\"").append(id).append("\">");
            }
            if (isNested(item))
            {
                final StringBuilder body = new StringBuilder();
                value(item, indent + 2, itemPath, idPrefix, body);
                // The item's first line begins with its indentation: the dash takes the last two columns of it.
                if (body.length() >= indent + 2 && body.substring(indent, indent + 2).isBlank())
                {
                    body.replace(indent, indent + 2, "- ");
                }
                else
                {
                    out.append(" ".repeat(indent)).append("-\n");
                }
                out.append(body);
            }
            else
            {
                out.append(" ".repeat(indent)).append("- ").append(inline(item)).append('\n');
            }
            if (id != null)
            {
                out.append("</span>");
            }
        }
    }

    private static void value(final Object value, final int indent, final String path, final String idPrefix,
        final StringBuilder out)
    {
        if (value instanceof final Map<?, ?> map)
        {
            map(map, indent, path, idPrefix, out);
        }
        else if (value instanceof final List<?> list)
        {
            list(list, indent, path, idPrefix, out);
        }
    }

    private static boolean isNested(final Object value)
    {
        return value instanceof final Map<?, ?> map && !map.isEmpty() || value instanceof final List<?> list && !list.isEmpty();
    }

    /** The id of a rule, peer or port at {@code path}, or null for any other list item. */
    private static String anchor(final String path, final String idPrefix)
    {
        final Matcher rule = RULE_PATH.matcher(path);
        if (!rule.matches())
        {
            return null;
        }
        final String base = idPrefix + "-" + rule.group(1) + "-" + rule.group(2);
        if (rule.group(3) == null)
        {
            return base;
        }
        return base + (rule.group(3).equals("ports") ? "-port-" : "-peer-") + rule.group(4);
    }

    private static String inline(final Object value)
    {
        if (value == null)
        {
            return "null";
        }
        if (value instanceof final Map<?, ?> map && map.isEmpty())
        {
            return "{}";
        }
        if (value instanceof final List<?> list && list.isEmpty())
        {
            return "[]";
        }
        if (value instanceof Number || value instanceof Boolean)
        {
            return "<span class=n>" + value + "</span>";
        }
        return "<span class=s>" + Html.escape(scalar(String.valueOf(value))) + "</span>";
    }

    private static String scalar(final String text)
    {
        // A JSON string literal is a YAML double-quoted scalar (YAML 1.2 is a superset of JSON).
        return NEEDS_QUOTES.matcher(text).matches()
            ? '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"' : text;
    }
}
