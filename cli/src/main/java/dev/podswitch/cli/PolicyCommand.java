package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiCommandSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code podswitch policy apply -f FILE | delete NS/NAME}: the spelling of earlier releases, kept
 * as an alias of {@code apply -f} and {@code delete networkpolicy} (docs/api.md).
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = "Alias kept for earlier scripts: `policy apply -f FILE` is `apply -f FILE`, `policy delete NS/NAME` "
        + "is `delete networkpolicy NS/NAME`.",
    subcommands = {PolicyCommand.Apply.class, PolicyCommand.Delete.class})
public final class PolicyCommand
{
    @Command(name = "apply", mixinStandardHelpOptions = true, description = "Same as: podswitch apply -f FILE.")
    static final class Apply implements Callable<Integer>
    {
        @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "Manifests (YAML).")
        private Path file;

        @Mixin
        private ApiCommandSupport api;

        @Override
        public Integer call()
        {
            return ApplyCommand.apply(file, false, api);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Same as: podswitch delete networkpolicy NS/NAME.")
    static final class Delete implements Callable<Integer>
    {
        @Parameters(paramLabel = "NAMESPACE/NAME", description = "The policy (a bare NAME means namespace default).")
        private String key;

        @Mixin
        private ApiCommandSupport api;

        @Override
        public Integer call()
        {
            return DeleteCommand.delete(null, key, api);
        }
    }
}
