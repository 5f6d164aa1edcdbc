package dev.podswitch.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.control.report.Report;
import dev.podswitch.scenarios.report.TeachingPage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code podswitch report -w FILE.html}: the teaching report of a running agent or {@code up} lab —
 * the same page as {@code run --report}, with one step, "now": the cluster's picture, the policies
 * in force, every pod pair judged by them (each cell explaining itself), and the last flows.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write the HTML report of a running agent or `up` lab: its topology, the NetworkPolicies in force, "
        + "a matrix of every pod pair judged by them (click a cell: why, with the deciding rule highlighted) and the "
        + "last flows. One self-contained file; open it in any browser.")
public final class ReportCommand implements Callable<Integer>
{
    @Option(names = {"-w", "--write"}, paramLabel = "FILE.html", required = true, description = "Where to write the page.")
    private Path file;

    @Option(names = "--protocol", paramLabel = "TCP|UDP|SCTP|ICMP", defaultValue = "TCP",
        description = "The protocol the matrix judges (default: ${DEFAULT-VALUE}).")
    private String protocol;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "80",
        description = "The destination port the matrix judges (default: ${DEFAULT-VALUE}; not for ICMP).")
    private int port;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "Only this namespace's pods in the matrix.")
    private String namespace;

    @Option(names = "--flows", paramLabel = "N", defaultValue = "40",
        description = "How many of the last flows to list (default: ${DEFAULT-VALUE}).")
    private int flows;

    @Mixin
    private ApiCommandSupport api;

    @Override
    public Integer call()
    {
        try
        {
            final ApiClient client = api.client();
            final ApiClient.Response response = client.get("/apis/podswitch.dev/v1/report?protocol=" + encode(protocol)
                + "&port=" + port + "&flows=" + flows + (namespace == null ? "" : "&namespace=" + encode(namespace)));
            if (!response.ok())
            {
                return ApiCommandSupport.failed(response, System.err);
            }
            final Report report = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .convertValue(response.body(), Report.class);
            return write(TeachingPage.render(report));
        }
        catch (final IllegalArgumentException unreadable)
        {
            System.err.println("podswitch: the daemon's report could not be read: " + unreadable.getMessage());
            return ApiCommandSupport.EXIT_FAILED;
        }
        catch (final IOException unreachable)
        {
            return ApiCommandSupport.unreachable(unreachable, System.err);
        }
    }

    private int write(final String page)
    {
        try
        {
            Files.writeString(file, page, StandardCharsets.UTF_8);
            System.err.println("podswitch: wrote " + file.toAbsolutePath());
            return ApiCommandSupport.EXIT_OK;
        }
        catch (final IOException cannotWrite)
        {
            System.err.println("podswitch: cannot write " + file + ": " + cannotWrite.getMessage());
            return ApiCommandSupport.EXIT_INVALID;
        }
    }

    private static String encode(final String text)
    {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
