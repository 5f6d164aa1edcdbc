package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.cli.api.Resources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.concurrent.Callable;

/** {@code podswitch status}: what a running agent or {@code up} lab is, in a few lines (or as JSON). */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show a running agent's or `up` lab's nodes, object counts, sockets and CNI attachments.")
public final class StatusCommand implements Callable<Integer>
{
    @Option(names = {"-o", "--output"}, paramLabel = "yaml|json", description = "Output format (default: yaml).")
    private String output;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        try
        {
            final ApiClient client = api.client();
            final ApiClient.Response response = client.get("/status");
            if (!response.ok())
            {
                return ApiCommandSupport.failed(response, System.err);
            }
            if ("json".equals(output))
            {
                System.out.println(new com.fasterxml.jackson.databind.ObjectMapper()
                    .writerWithDefaultPrettyPrinter().writeValueAsString(response.body()));
            }
            else
            {
                System.out.println("daemon at " + client.describe() + ":");
                System.out.print(Resources.yaml(response.body()).indent(2));
            }
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }
}
