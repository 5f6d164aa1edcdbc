package dev.podswitch.cli;

import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.cli.api.ApiCommandSupport;
import dev.podswitch.cli.api.Resources;
import picocli.CommandLine.Mixin;
import dev.podswitch.agent.cni.CniConfigDirectory;
import dev.podswitch.agent.cni.CniInstaller;
import dev.podswitch.cni.CniWire;
import dev.podswitch.cni.PluginClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code podswitch cni install | uninstall | status}: the plugin and its network config, where runtimes look. */
@Command(name = "cni", mixinStandardHelpOptions = true,
    description = "Install the podswitch CNI plugin and a network config where container runtimes look for them, "
        + "remove them, or show which config is in force.",
    subcommands = {CniCommand.Install.class, CniCommand.Uninstall.class, CniCommand.Status.class})
public final class CniCommand
{
    @Command(name = "install", mixinStandardHelpOptions = true,
        description = "Write BIN/podswitch (the plugin: a thin client of `podswitch agent`) and CONF/"
            + CniInstaller.CONFIG_FILE + " (written to a temp file and renamed).")
    static final class Install implements Callable<Integer>
    {
        @Option(names = "--bin-dir", paramLabel = "DIR", description = "Plugin directory (default: /opt/cni/bin).")
        private Path binDirectory = CniInstaller.DEFAULT_BIN;

        @Option(names = "--conf-dir", paramLabel = "DIR", description = "Config directory (default: /etc/cni/net.d).")
        private Path confDirectory = CniConfigDirectory.DEFAULT;

        @Option(names = "--socket", paramLabel = "PATH", defaultValue = PluginClient.DEFAULT_SOCKET,
            description = "The agent's socket the plugin connects to (default: ${DEFAULT-VALUE}).")
        private Path socket;

        @Option(names = "--name", paramLabel = "NETWORK", defaultValue = "podswitch",
            description = "The network name in the config (default: ${DEFAULT-VALUE}).")
        private String network;

        @Option(names = "--node", paramLabel = "NODE",
            description = "The agent node pods of this config attach to (default: the agent's first node).")
        private String node;

        @Option(names = "--mtu", paramLabel = "BYTES",
            description = "The pods' interface MTU (e.g. 1450 when VXLAN crosses a 1,500-byte network; default: 1500).")
        private int mtu;

        @Override
        public Integer call() throws IOException, InterruptedException
        {
            final CniInstaller.Installed installed = CniInstaller.install(binDirectory, confDirectory,
                socket.toAbsolutePath(), network, node, mtu, Path.of(System.getProperty("java.home")));
            System.out.println("plugin  " + installed.plugin() + (installed.cached() ? " (with an AOT cache)"
                : " (no AOT cache: this JVM could not make one; calls start slower)"));
            System.out.println("config  " + installed.config() + "  (network \"" + network + "\")");
            printInForce(confDirectory);
            return Main.EXIT_OK;
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true, description = "Remove what install wrote.")
    static final class Uninstall implements Callable<Integer>
    {
        @Option(names = "--bin-dir", paramLabel = "DIR", description = "Plugin directory (default: /opt/cni/bin).")
        private Path binDirectory = CniInstaller.DEFAULT_BIN;

        @Option(names = "--conf-dir", paramLabel = "DIR", description = "Config directory (default: /etc/cni/net.d).")
        private Path confDirectory = CniConfigDirectory.DEFAULT;

        @Override
        public Integer call() throws IOException
        {
            final List<Path> removed = CniInstaller.uninstall(binDirectory, confDirectory);
            removed.forEach(path -> System.out.println("removed " + path));
            if (removed.isEmpty())
            {
                System.out.println("nothing to remove in " + binDirectory + " or " + confDirectory);
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the config files in the order runtimes read them, which one is in force and why, and "
            + "what the agent says.")
    static final class Status implements Callable<Integer>
    {
        @Option(names = "--conf-dir", paramLabel = "DIR", description = "Config directory (default: /etc/cni/net.d).")
        private Path confDirectory = CniConfigDirectory.DEFAULT;

        @Mixin
        private ApiCommandSupport api;

        @Override
        public Integer call() throws IOException
        {
            final int config = printInForce(confDirectory);
            System.out.println();
            try
            {
                final ApiClient client = api.client();
                final ApiClient.Response answer = client.get("/status");
                if (!answer.ok())
                {
                    return ApiCommandSupport.failed(answer, System.err);
                }
                System.out.println("agent at " + client.describe() + ":");
                System.out.print(Resources.yaml(answer.body()).indent(2));
            }
            catch (final IOException unreachable)
            {
                System.out.println("agent: none answers (" + unreachable.getMessage()
                    + "); the plugin fails with code 11 until `podswitch agent` runs");
                return Main.EXIT_MISMATCH;
            }
            return config;
        }
    }

    /** Prints the directory as a runtime sees it; returns 0, or 2 when the config in force is invalid. */
    static int printInForce(final Path confDirectory) throws IOException
    {
        final List<Path> candidates = CniConfigDirectory.candidates(confDirectory);
        System.out.println("config directory " + confDirectory + " (runtimes use the first of *.conflist, *.conf, "
            + "*.json in lexical order):");
        if (candidates.isEmpty())
        {
            System.out.println("  no config: runtimes cannot attach pods (podswitch cni install writes one)");
            return Main.EXIT_MISMATCH;
        }
        try
        {
            final CniConfigDirectory.InForce inForce = CniConfigDirectory.inForce(confDirectory);
            System.out.println("  in force  " + inForce.file().getFileName() + "  network \"" + inForce.name()
                + "\", cniVersion " + inForce.cniVersion() + ", plugins " + inForce.plugins()
                + (inForce.podswitchFirst() ? "" : "  (podswitch is not its first plugin)"));
            for (final Path ignored : inForce.ignored())
            {
                System.out.println("  ignored   " + ignored.getFileName() + "  (not first in lexical order)");
            }
            return Main.EXIT_OK;
        }
        catch (final CniConfigDirectory.InvalidConfig invalid)
        {
            System.out.println("  INVALID   " + invalid.getMessage() + "  (runtimes fail every pod until it is fixed)");
            return Main.EXIT_INVALID;
        }
    }
}
