package dev.podswitch.cli;

import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.scenarios.load.ScenarioException;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.run.Explainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code podswitch explain FILE --step N --from NS/POD --to NS/POD --protocol TCP --port 3306}. */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Explain one packet's NetworkPolicy verdict after a step: which policies select the sender and the "
        + "receiver, whether each is isolated, and the policy, rule, peer and port that allowed it — or that none did.")
public final class ExplainCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "FILE")
    private Path file;

    @Option(names = "--step", required = true, description = "Step number, from 1 (the state its probes see).")
    private int step;

    @Option(names = "--from", required = true, paramLabel = "NS/POD|HOST")
    private String from;

    @Option(names = "--to", required = true, paramLabel = "NS/POD|HOST")
    private String to;

    @Option(names = "--protocol", defaultValue = "TCP", paramLabel = "TCP|UDP|SCTP|ICMP")
    private IpProtocol protocol;

    @Option(names = "--port", defaultValue = "0", description = "Destination port (not for ICMP).")
    private int port;

    @Override
    public Integer call()
    {
        if (protocol.hasPorts() && (port < 1 || port > 65535))
        {
            System.err.println("podswitch: --port must be 1-65535 for " + protocol + ", got " + port);
            return Main.EXIT_INVALID;
        }
        try
        {
            Explainer.explain(ScenarioLoader.load(file), step, from, to, protocol, port).forEach(System.out::println);
            return Main.EXIT_OK;
        }
        catch (final ScenarioException invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return Main.EXIT_INVALID;
        }
        catch (final IllegalArgumentException invalid)
        {
            System.err.println("podswitch: " + invalid.getMessage());
            return Main.EXIT_INVALID;
        }
    }
}
