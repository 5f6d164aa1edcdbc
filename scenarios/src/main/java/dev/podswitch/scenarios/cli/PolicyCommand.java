package dev.podswitch.scenarios.cli;

import dev.podswitch.scenarios.cni.AgentClient;
import dev.podswitch.scenarios.cni.CniWire;
import dev.podswitch.scenarios.cni.PluginClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code podswitch policy apply -f FILE | delete NS/NAME}: NetworkPolicy on a running agent, like kubectl. */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = "Apply or delete NetworkPolicy on a running `podswitch agent`, like kubectl apply/delete: it is "
        + "validated, compiled and in force for new connections at once — for scenario pods and CNI pods alike.",
    subcommands = {PolicyCommand.Apply.class, PolicyCommand.Delete.class})
public final class PolicyCommand
{
    @Command(name = "apply", mixinStandardHelpOptions = true, description = "Create or replace the NetworkPolicies in FILE.")
    static final class Apply implements Callable<Integer>
    {
        @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "Manifests (YAML).")
        private Path file;

        @Option(names = "--socket", paramLabel = "PATH", defaultValue = PluginClient.DEFAULT_SOCKET,
            description = "The agent's socket (default: ${DEFAULT-VALUE}).")
        private Path socket;

        @Override
        public Integer call()
        {
            return send(socket, AgentClient.applyRequest(),
                file.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a NetworkPolicy.")
    static final class Delete implements Callable<Integer>
    {
        @Parameters(paramLabel = "NAMESPACE/NAME", description = "The policy (a bare NAME means namespace default).")
        private String key;

        @Option(names = "--socket", paramLabel = "PATH", defaultValue = PluginClient.DEFAULT_SOCKET,
            description = "The agent's socket (default: ${DEFAULT-VALUE}).")
        private Path socket;

        @Override
        public Integer call()
        {
            return send(socket, AgentClient.deleteRequest(key), new byte[0]);
        }
    }

    static int send(final Path socket, final Map<String, String> request, final byte[] body)
    {
        try
        {
            final CniWire.Response response = AgentClient.request(socket, request, body);
            System.out.print(new String(response.stdout(), StandardCharsets.UTF_8));
            System.err.print(new String(response.stderr(), StandardCharsets.UTF_8));
            return response.exitStatus();
        }
        catch (final IOException unreachable)
        {
            System.err.println("podswitch: no agent answers at " + socket + " (" + unreachable.getMessage()
                + "); start one with: podswitch agent");
            return Main.EXIT_MISMATCH;
        }
    }
}
