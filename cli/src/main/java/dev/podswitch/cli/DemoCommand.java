package dev.podswitch.cli;

import picocli.CommandLine.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code podswitch demo}: the bundled two-node, two-namespace scenario, with human output. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the bundled demo scenario (scenarios/library/demo.yaml): two nodes, two namespaces, "
        + "pods on both nodes, ICMP and TCP matrices, and the source IP a cross-node receiver saw.")
public final class DemoCommand implements Callable<Integer>
{
    static final String DEMO_FILE = "scenarios/library/demo.yaml";

    @Override
    public Integer call()
    {
        final Path demo = Path.of(System.getProperty("podswitch.home", ".")).resolve(DEMO_FILE);
        if (!Files.isRegularFile(demo))
        {
            System.err.println("podswitch: the demo scenario is not at " + demo + "; run ./podswitch from the "
                + "repository (it sets -Dpodswitch.home)");
            return Main.EXIT_INVALID;
        }
        return RunCommand.of(demo).call();
    }
}
