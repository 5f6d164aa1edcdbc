package dev.podswitch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.cli.api.Resources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code podswitch get pods|nodes|namespaces|networkpolicies|connections}: what the daemon holds, as
 * kubectl shows it — a table, a wider one, or the objects as JSON or YAML for other tools.
 */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = "List the pods, nodes, namespaces, networkpolicies or tracked connections a running agent or `up` "
        + "lab holds.%n"
        + "-o json prints an array of flat objects (pods: namespace, name, node, ip, labels; nodes: name, podCIDR, "
        + "underlayAddress, ready); -o yaml the same as YAML.%n%n"
        + "Connections: each node's conntrack table — every connection policy allowed and the node still tracks, "
        + "with its tuple (original direction), state (TCP SYN_SENT, ESTABLISHED, FIN_WAIT, TIME_WAIT…; UDP/ICMP "
        + "UNREPLIED, REPLIED; SCTP COOKIE_WAIT, ESTABLISHED…), age since its first packet, the zone (local pod) it "
        + "is charged to, and both ends named NS/NAME when they are pods. --node N: one node's; -n NS: those with a "
        + "pod of NS at either end; -o wide adds the time left before expiry, the policy generation it was admitted "
        + "under and the packets each way. -o json: an array of {node, protocol, source: {ip, port, pod}, "
        + "destination: {ip, port, pod}, state, ageSeconds, expiresInSeconds, zone, admitted (always ALLOWED), "
        + "policyGeneration, …}. At most 10000 entries per node are listed (a warning says when there were more).")
public final class GetCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "RESOURCE",
        description = "pods (po), nodes (no), namespaces (ns), networkpolicies (netpol) or connections (conn).")
    private String resource;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
        description = "Only this namespace (pods, networkpolicies; connections with a pod of NS at either end).")
    private String namespace;

    @Option(names = "--node", paramLabel = "NODE", description = "Only this node's (connections).")
    private String node;

    @Option(names = {"-o", "--output"}, paramLabel = "wide|json|yaml", description = "Output format (default: a table).")
    private String output;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        final Resources.Kind kind = Resources.Kind.of(resource);
        if (kind == null)
        {
            System.err.println("podswitch: unknown resource \"" + resource + "\"; one of: pods, nodes, namespaces, "
                + "networkpolicies, connections");
            return ApiCommandSupport.EXIT_INVALID;
        }
        if (node != null && kind != Resources.Kind.CONNECTIONS)
        {
            System.err.println("podswitch: --node applies to connections only");
            return ApiCommandSupport.EXIT_INVALID;
        }
        if (output != null && !List.of("wide", "json", "yaml").contains(output))
        {
            System.err.println("podswitch: unknown output format \"" + output + "\"; one of: wide, json, yaml");
            return ApiCommandSupport.EXIT_INVALID;
        }
        try
        {
            final ApiClient client = api.client();
            final ApiClient.Response response = client.get(kind.path(namespace, node));
            if (!response.ok())
            {
                return ApiCommandSupport.failed(response, System.err);
            }
            if (Boolean.TRUE.equals(response.body().get("truncated")))
            {
                System.err.println("podswitch: a node tracks more connections than the " + response.body().get("limit")
                    + " listed for it; the list is incomplete");
            }
            @SuppressWarnings("unchecked")
            final List<Map<String, Object>> items = (List<Map<String, Object>>)response.body().getOrDefault("items", List.of());
            final List<Map<String, Object>> flat = items.stream().map(kind::flatten).toList();
            if ("json".equals(output))
            {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(flat));
            }
            else if ("yaml".equals(output))
            {
                System.out.print(Resources.yaml(flat));
            }
            else
            {
                System.out.print(kind.table(flat, "wide".equals(output)));
            }
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }
}
