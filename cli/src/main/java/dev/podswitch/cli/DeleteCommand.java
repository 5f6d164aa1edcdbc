package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code podswitch delete networkpolicy NS/NAME} (or {@code -n NS NAME}), as kubectl deletes one. */
@Command(name = "delete", mixinStandardHelpOptions = true,
    description = "Delete a NetworkPolicy on a running agent or `up` lab; new connections see it at once.")
public final class DeleteCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "RESOURCE", description = "networkpolicy (netpol).")
    private String resource;

    @Parameters(index = "1", paramLabel = "[NAMESPACE/]NAME", description = "The policy (namespace default unless given).")
    private String name;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "The policy's namespace.")
    private String namespace;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        if (!java.util.List.of("networkpolicy", "networkpolicies", "netpol").contains(resource.toLowerCase(Locale.ROOT)))
        {
            System.err.println("podswitch: delete takes networkpolicy; pods go with their CNI DEL, namespaces stay");
            return ApiCommandSupport.EXIT_INVALID;
        }
        return delete(namespace, name, api);
    }

    static int delete(final String namespace, final String given, final ApiCommandSupport api)
    {
        final int slash = given.indexOf('/');
        final String policyNamespace = slash >= 0 ? given.substring(0, slash) : namespace != null ? namespace : "default";
        final String policyName = slash >= 0 ? given.substring(slash + 1) : given;
        try
        {
            final ApiClient.Response response = api.client().send("DELETE", "/apis/networking.k8s.io/v1/namespaces/"
                + policyNamespace + "/networkpolicies/" + policyName, null);
            if (!response.ok())
            {
                return ApiCommandSupport.failed(response, System.err);
            }
            System.out.println("networkpolicy " + policyNamespace + "/" + policyName + " deleted");
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }
}
