package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.flows.ClusterFlows;
import dev.podswitch.control.flows.FlowFilter;
import dev.podswitch.control.model.ModelSnapshot;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.podswitch.agent.api.QueryParameters.number;
import static dev.podswitch.agent.api.QueryParameters.one;

/**
 * {@code GET /apis/podswitch.dev/v1/flows}: the flow logs of the daemon's nodes, in Hubble's
 * vocabulary. Query: {@code since=NODE:SEQ,…} (the {@code next} of the last answer, to follow),
 * {@code last=N}, and the filters of {@code podswitch observe}: {@code pod}, {@code fromPod},
 * {@code toPod}, {@code namespace}, {@code verdict}, {@code protocol}, {@code port}, {@code node}.
 * The answer: {@code {items, next, overwritten, leftOut}}.
 */
final class FlowsResource
{
    static final String PATH = "/apis/podswitch.dev/v1/flows";
    private static final int MAX_LAST = 100_000;
    private static final Set<String> VERDICTS = Set.of("FORWARDED", "DROPPED");
    private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "ICMPV4", "SCTP");

    private FlowsResource()
    {
    }

    static ApiResponse of(final Collection<ClusterNode> nodes, final ModelSnapshot snapshot,
        final Map<String, List<String>> query) throws ApiError
    {
        final ClusterFlows.Page page = ClusterFlows.read(nodes, snapshot, since(one(query, "since")),
            (int)number(query, "last", 0, MAX_LAST, 0, "a number from 0 to " + MAX_LAST), filter(query));
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("items", page.flows());
        answer.put("next", cursor(page.next()));
        answer.put("overwritten", page.overwritten());
        answer.put("leftOut", page.leftOut());
        return ApiResponse.ok(answer);
    }

    static FlowFilter filter(final Map<String, List<String>> query) throws ApiError
    {
        final String verdict = upper(one(query, "verdict"));
        if (verdict != null && !VERDICTS.contains(verdict))
        {
            throw ApiError.badRequest("verdict must be FORWARDED or DROPPED, not \"" + verdict + "\"");
        }
        final String protocol = upper(one(query, "protocol"));
        if (protocol != null && !PROTOCOLS.contains(protocol))
        {
            throw ApiError.badRequest("protocol must be TCP, UDP, ICMPv4 or SCTP, not \"" + protocol + "\"");
        }
        return new FlowFilter(podKey(query, "pod"), podKey(query, "fromPod"), podKey(query, "toPod"),
            one(query, "namespace"), verdict, protocol, (int)number(query, "port", 0, 65_535, 0, "a number from 0 to 65535"), one(query, "node"));
    }

    /** {@code node-1:42,node-2:7} → per node, the sequence to read from. */
    static Map<String, Long> since(final String text) throws ApiError
    {
        final Map<String, Long> cursor = new LinkedHashMap<>();
        if (text == null || text.isEmpty())
        {
            return cursor;
        }
        for (final String part : text.split(","))
        {
            final int colon = part.lastIndexOf(':');
            try
            {
                final long sequence = Long.parseLong(part.substring(colon + 1));
                if (colon <= 0 || sequence < 0)
                {
                    throw new NumberFormatException();
                }
                cursor.put(part.substring(0, colon), sequence);
            }
            catch (final NumberFormatException | StringIndexOutOfBoundsException malformed)
            {
                throw ApiError.badRequest("since must be NODE:SEQUENCE,… (the next of an earlier answer), not \""
                    + text + "\"");
            }
        }
        return cursor;
    }

    static String cursor(final Map<String, Long> next)
    {
        final StringBuilder text = new StringBuilder();
        next.forEach((node, sequence) -> text.append(text.isEmpty() ? "" : ",").append(node).append(':').append(sequence));
        return text.toString();
    }

    private static String podKey(final Map<String, List<String>> query, final String name) throws ApiError
    {
        final String key = one(query, name);
        if (key != null && key.indexOf('/') <= 0)
        {
            throw ApiError.badRequest(name + " must be NAMESPACE/NAME, not \"" + key + "\"");
        }
        return key;
    }

    private static String upper(final String text)
    {
        return text == null ? null : text.toUpperCase(Locale.ROOT);
    }
}
