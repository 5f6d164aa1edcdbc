package dev.podswitch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.control.flows.FlowLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code podswitch observe}: what the data plane of a running agent or {@code up} lab decided about
 * new connections and drops — Hubble's {@code observe} for podswitch: the last flows, or every new one
 * as it happens with {@code --follow}, each with the policy that allowed or denied it.
 */
@Command(name = "observe", mixinStandardHelpOptions = true,
    description = "Show the flow log of a running agent or `up` lab: the first packet of every new connection and "
        + "every drop, with its verdict and the policies that decided (Hubble's fields with -o json: one object a line).")
public final class ObserveCommand implements Callable<Integer>
{
    /** How often --follow asks for new flows. */
    static final long FOLLOW_PERIOD_MS = 250;
    private static final int DEFAULT_LAST = 20;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new flows as they come (Ctrl-C stops).")
    private boolean follow;

    @Option(names = "--last", paramLabel = "N", description = "The last N matching flows (default: 20; with --follow: 0).")
    private Integer last;

    @Option(names = "--pod", paramLabel = "NS/NAME", description = "Flows from or to this pod.")
    private String pod;

    @Option(names = "--from-pod", paramLabel = "NS/NAME", description = "Flows from this pod.")
    private String fromPod;

    @Option(names = "--to-pod", paramLabel = "NS/NAME", description = "Flows to this pod.")
    private String toPod;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "Flows from or to a pod of this namespace.")
    private String namespace;

    @Option(names = "--verdict", paramLabel = "FORWARDED|DROPPED", description = "Only this verdict.")
    private String verdict;

    @Option(names = "--protocol", paramLabel = "TCP|UDP|ICMPv4|SCTP", description = "Only this protocol.")
    private String protocol;

    @Option(names = "--port", paramLabel = "PORT", description = "Flows with this source or destination port.")
    private Integer port;

    @Option(names = "--node", paramLabel = "NODE", description = "Flows this node recorded.")
    private String node;

    @Option(names = {"-o", "--output"}, paramLabel = "compact|json", defaultValue = "compact",
        description = "compact: one readable line a flow (default); json: one JSON object a line.")
    private String output;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        if (!List.of("compact", "json").contains(output))
        {
            System.err.println("podswitch: unknown output format \"" + output + "\"; one of: compact, json");
            return ApiCommandSupport.EXIT_INVALID;
        }
        if (last != null && last < 0)
        {
            System.err.println("podswitch: --last must be 0 or more, got " + last);
            return ApiCommandSupport.EXIT_INVALID;
        }
        final ObjectMapper json = new ObjectMapper();
        try
        {
            final ApiClient client = api.client();
            String cursor = null;
            final int first = last != null ? last : follow ? 0 : DEFAULT_LAST;
            if (first > 0 || !follow)
            {
                final ApiClient.Response response = client.get(path(null, Math.max(first, 0)));
                if (!response.ok())
                {
                    return ApiCommandSupport.failed(response, System.err);
                }
                print(response, json);
                cursor = String.valueOf(response.body().get("next"));
            }
            else
            {
                // Following from now: the answer's cursor, none of what is already held.
                final ApiClient.Response response = client.get(path(null, 1));
                if (!response.ok())
                {
                    return ApiCommandSupport.failed(response, System.err);
                }
                cursor = String.valueOf(response.body().get("next"));
            }
            while (follow)
            {
                Thread.sleep(FOLLOW_PERIOD_MS);
                final ApiClient.Response response = client.get(path(cursor, 0));
                if (!response.ok())
                {
                    return ApiCommandSupport.failed(response, System.err);
                }
                print(response, json);
                cursor = String.valueOf(response.body().get("next"));
            }
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
        catch (final InterruptedException stopped)
        {
            Thread.currentThread().interrupt();
            return ApiCommandSupport.EXIT_OK;
        }
    }

    private void print(final ApiClient.Response response, final ObjectMapper json) throws IOException
    {
        @SuppressWarnings("unchecked")
        final List<Map<String, Object>> flows = (List<Map<String, Object>>)response.body().getOrDefault("items", List.of());
        for (final Map<String, Object> flow : flows)
        {
            System.out.println("json".equals(output) ? json.writeValueAsString(flow) : FlowLines.compact(flow));
        }
        System.out.flush();
    }

    private String path(final String since, final int lastN)
    {
        final Map<String, Object> query = new LinkedHashMap<>();
        query.put("since", since);
        query.put("last", lastN > 0 ? lastN : null);
        query.put("pod", pod);
        query.put("fromPod", fromPod);
        query.put("toPod", toPod);
        query.put("namespace", namespace);
        query.put("verdict", verdict);
        query.put("protocol", protocol);
        query.put("port", port);
        query.put("node", node);
        final StringBuilder path = new StringBuilder("/apis/podswitch.dev/v1/flows");
        char separator = '?';
        for (final Map.Entry<String, Object> entry : query.entrySet())
        {
            if (entry.getValue() != null)
            {
                path.append(separator).append(entry.getKey()).append('=')
                    .append(URLEncoder.encode(String.valueOf(entry.getValue()), StandardCharsets.UTF_8));
                separator = '&';
            }
        }
        return path.toString();
    }
}
