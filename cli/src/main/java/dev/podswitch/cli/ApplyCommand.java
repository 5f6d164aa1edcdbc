package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.control.model.ManifestChanges;
import dev.podswitch.scenarios.load.ScenarioException;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Manifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code podswitch apply -f FILE}: like kubectl apply, but all or nothing. Every document of the
 * file is read and validated here first (errors name file, line and field); if any is invalid or
 * of a kind the daemon does not take, nothing is sent and the exit status is 2. The documents then
 * go to the daemon as one {@code List}, which it applies atomically and keeps before it answers.
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
    description = "Create or replace the NetworkPolicies and Namespaces of FILE on a running agent or `up` lab, "
        + "all or nothing: one invalid document and nothing is applied (exit status 2).")
public final class ApplyCommand implements Callable<Integer>
{
    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "Manifests (YAML or JSON).")
    private Path file;

    @Option(names = "--dry-run", description = "Validate on the daemon too, change nothing.")
    private boolean dryRun;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        return apply(file, dryRun, api);
    }

    static int apply(final Path file, final boolean dryRun, final ApiCommandSupport api)
    {
        final List<Manifest> manifests;
        try
        {
            manifests = ScenarioLoader.loadManifests(file);
        }
        catch (final ScenarioException invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return ApiCommandSupport.EXIT_INVALID;
        }
        final List<Map<String, Object>> items = new ArrayList<>();
        for (final Manifest manifest : manifests)
        {
            if (!ManifestChanges.KINDS.contains(manifest.kind()))
            {
                System.err.println("podswitch: " + manifest.where() + ": " + manifest.describe() + ": kind "
                    + manifest.kind() + " is not applied by the daemon (it takes " + String.join(" and ", ManifestChanges.KINDS)
                    + "; pods come from the CNI plugin); nothing was applied");
                return ApiCommandSupport.EXIT_INVALID;
            }
            items.add(manifest.body());
        }
        if (items.isEmpty())
        {
            System.err.println("podswitch: " + file + " holds no manifest; nothing was applied");
            return ApiCommandSupport.EXIT_INVALID;
        }
        try
        {
            final ApiClient.Response response = api.client().send("POST", "/apis/podswitch.dev/v1/apply"
                + (dryRun ? "?dryRun=All" : ""), Map.of("apiVersion", "v1", "kind", "List", "items", items));
            if (!response.ok())
            {
                final int status = ApiCommandSupport.failed(response, System.err);
                System.err.println("podswitch: nothing was applied");
                return status;
            }
            printResults(response);
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }

    private static void printResults(final ApiClient.Response response)
    {
        if (!(response.body().get("items") instanceof final List<?> items))
        {
            return;
        }
        for (final Object item : items)
        {
            if (item instanceof final Map<?, ?> result)
            {
                if (result.get("warnings") instanceof final List<?> warnings)
                {
                    warnings.forEach(warning -> System.err.println("Warning: " + result.get("object") + ": " + warning));
                }
                System.out.println(result.get("object") + " " + result.get("result"));
            }
        }
    }
}
