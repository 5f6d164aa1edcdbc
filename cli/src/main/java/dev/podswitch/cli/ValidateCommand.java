package dev.podswitch.cli;

import dev.podswitch.scenarios.load.ScenarioException;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.Scenario;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code podswitch validate FILE...}: checks scenario files and Kubernetes manifests without running them. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Check scenario files and Kubernetes manifest files; every error names the file, line and field.")
public final class ValidateCommand implements Callable<Integer>
{
    @Parameters(arity = "1..*", paramLabel = "FILE")
    private List<Path> files;

    @Override
    public Integer call()
    {
        int status = Main.EXIT_OK;
        for (final Path file : files)
        {
            try
            {
                if (ScenarioLoader.looksLikeManifestFile(file))
                {
                    final List<Manifest> manifests = ScenarioLoader.loadManifests(file);
                    System.out.println("ok  " + file + ": " + manifests.size() + " manifest(s)");
                }
                else
                {
                    final Scenario scenario = ScenarioLoader.load(file);
                    System.out.println("ok  " + file + ": scenario '" + scenario.name() + "', "
                        + scenario.cluster().nodes().size() + " node(s), " + scenario.pods().size() + " pod(s), "
                        + scenario.steps().size() + " step(s)");
                }
            }
            catch (final ScenarioException invalid)
            {
                System.err.println("podswitch: " + invalid.getMessage());
                status = Main.EXIT_INVALID;
            }
        }
        return status;
    }
}
