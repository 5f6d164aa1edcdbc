package dev.podswitch.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program the way a CNI runtime runs a plugin — the {@code CNI_*} variables in its
 * environment, the config on stdin — and keeps its exit status, stdout and stderr apart (the spec
 * puts results and errors on stdout, logs on stderr). For the installed plugin and for cnitool.
 */
public final class PluginProcess
{
    /** A command that takes longer has hung: the slowest (a cold JVM, an ADD) takes about a second. */
    private static final long TIMEOUT_SECONDS = 60;

    public record Result(List<String> command, int exitStatus, String stdout, String stderr)
    {
        JsonNode json()
        {
            try
            {
                return HandlerFixture.JSON.readTree(stdout);
            }
            catch (final IOException notJson)
            {
                throw new AssertionError("stdout is not JSON: " + this, notJson);
            }
        }

        @Override
        public String toString()
        {
            return String.join(" ", command) + " -> exit " + exitStatus + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    private PluginProcess()
    {
    }

    /** The plugin itself: {@code env} replaces every inherited {@code CNI_*} variable. */
    public static Result run(final Path plugin, final Map<String, String> env, final String stdin) throws Exception
    {
        return run(List.of(plugin.toString()), env, stdin);
    }

    public static Result run(final List<String> command, final Map<String, String> env, final String stdin) throws Exception
    {
        final Path stdout = Files.createTempFile("psw-plugin", ".out");
        final Path stderr = Files.createTempFile("psw-plugin", ".err");
        try
        {
            final ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("CNI_") || name.equals("NETCONFPATH"));
            builder.environment().putAll(env);
            final Process process = builder.start();
            try (OutputStream in = process.getOutputStream())
            {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            return new Result(command, process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        }
        finally
        {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
