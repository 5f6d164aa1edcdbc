package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code podswitch label pod NS/NAME k=v k2-} and {@code label namespace NAME k=v}: kubectl's verb,
 * sent as a JSON merge patch of the labels. Policy selecting on labels is recompiled at once.
 */
@Command(name = "label", mixinStandardHelpOptions = true,
    description = "Set (k=v) or remove (k-) labels of a pod or namespace on a running agent or `up` lab; "
        + "NetworkPolicy follows at once.")
public final class LabelCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "RESOURCE", description = "pod (po) or namespace (ns).")
    private String resource;

    @Parameters(index = "1", paramLabel = "NAME", description = "pod: [NAMESPACE/]NAME; namespace: NAME.")
    private String name;

    @Parameters(index = "2..*", arity = "1..*", paramLabel = "KEY=VALUE|KEY-", description = "Labels to set or remove.")
    private List<String> edits;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "The pod's namespace (default: default).")
    private String namespace;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        final String path;
        final String subject;
        switch (resource.toLowerCase(Locale.ROOT))
        {
            case "pod", "pods", "po" ->
            {
                final int slash = name.indexOf('/');
                final String podNamespace = slash >= 0 ? name.substring(0, slash) : namespace != null ? namespace : "default";
                final String podName = slash >= 0 ? name.substring(slash + 1) : name;
                path = "/api/v1/namespaces/" + podNamespace + "/pods/" + podName;
                subject = "pod/" + podNamespace + "/" + podName;
            }
            case "namespace", "namespaces", "ns" ->
            {
                path = "/api/v1/namespaces/" + name;
                subject = "namespace/" + name;
            }
            default ->
            {
                System.err.println("podswitch: label takes pod or namespace, not \"" + resource + "\"");
                return ApiCommandSupport.EXIT_INVALID;
            }
        }
        final Map<String, Object> labels = new LinkedHashMap<>();
        for (final String edit : edits)
        {
            final int equals = edit.indexOf('=');
            if (equals > 0)
            {
                labels.put(edit.substring(0, equals), edit.substring(equals + 1));
            }
            else if (edit.endsWith("-") && edit.length() > 1)
            {
                labels.put(edit.substring(0, edit.length() - 1), null);
            }
            else
            {
                System.err.println("podswitch: \"" + edit + "\" is neither KEY=VALUE nor KEY-");
                return ApiCommandSupport.EXIT_INVALID;
            }
        }
        try
        {
            final Map<String, Object> patch = Map.of("metadata", Map.of("labels", labels));
            final ApiClient.Response response = api.client().send("PATCH", path, patch);
            if (!response.ok())
            {
                return ApiCommandSupport.failed(response, System.err);
            }
            System.out.println(subject + " labeled");
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }
}
