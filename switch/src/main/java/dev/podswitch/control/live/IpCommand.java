package dev.podswitch.control.live;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip} (and programs inside a namespace through {@code ip netns exec}) as a
 * child process, waits with a timeout and checks the exit status, so that a failed step names the
 * command and what it printed. Control plane only, any thread.
 */
public final class IpCommand
{
    /** A step that takes longer has hung (ip itself answers in milliseconds). */
    public static final long TIMEOUT_MS = 10_000;
    private static final String IP = locate("ip", "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip");

    /** What a finished command printed (stdout and stderr merged) and its exit status. */
    public record Result(List<String> command, int exitStatus, String output)
    {
        public boolean succeeded()
        {
            return exitStatus == 0;
        }
    }

    private IpCommand()
    {
    }

    /** The path of {@code ip}, or null when iproute2 is not installed. */
    public static String ipPath()
    {
        return IP;
    }

    /**
     * Runs {@code ip args…}.
     *
     * @throws IllegalStateException naming the command, its exit status and its output when it fails.
     */
    public static String ip(final String... args)
    {
        final Result result = run(withIp(args));
        if (!result.succeeded())
        {
            throw new IllegalStateException(String.join(" ", result.command()) + " failed (exit " + result.exitStatus()
                + "): " + result.output().strip());
        }
        return result.output();
    }

    /** Runs {@code program args…} inside a network namespace; the caller judges the exit status. */
    public static Result execIn(final String namespace, final String... programAndArgs)
    {
        final List<String> command = new ArrayList<>(List.of("netns", "exec", namespace));
        command.addAll(List.of(programAndArgs));
        return run(withIp(command.toArray(String[]::new)));
    }

    /**
     * Runs {@code ip} commands (one per line, as {@code ip -batch} reads them) inside the network
     * namespace at {@code namespacePath} — a CNI_NETNS path, which {@code ip -n} cannot take — in one
     * process through util-linux's {@code nsenter}.
     *
     * @throws IllegalStateException naming the failing command and its output.
     */
    public static String batchInNamespacePath(final String namespacePath, final List<String> commands)
    {
        Path batch = null;
        try
        {
            batch = Files.createTempFile("psw-ip", ".batch");
            Files.write(batch, commands, StandardCharsets.UTF_8);
            final List<String> command = new ArrayList<>(List.of(nsenterPath(), "--net=" + namespacePath));
            command.addAll(withIp("-batch", batch.toString()));
            final Result result = run(command);
            if (!result.succeeded())
            {
                throw new IllegalStateException("in " + namespacePath + ": ip -batch " + commands + " failed (exit "
                    + result.exitStatus() + "): " + result.output().strip());
            }
            return result.output();
        }
        catch (final IOException failed)
        {
            throw new IllegalStateException("cannot write an ip batch file: " + failed.getMessage(), failed);
        }
        finally
        {
            deleteQuietly(batch);
        }
    }

    /** Runs {@code ip args…} in the namespace at {@code namespacePath}; the caller judges the exit status. */
    public static Result ipInNamespacePath(final String namespacePath, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(nsenterPath(), "--net=" + namespacePath));
        command.addAll(withIp(args));
        return run(command);
    }

    private static String nsenterPath()
    {
        final String nsenter = locate("nsenter", "/usr/bin/nsenter", "/bin/nsenter", "/usr/sbin/nsenter");
        if (nsenter == null)
        {
            throw new IllegalStateException("util-linux's nsenter is not installed (apt-get install util-linux)");
        }
        return nsenter;
    }

    private static void deleteQuietly(final Path file)
    {
        if (file != null)
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignored)
            {
                // A temp file left behind is harmless.
            }
        }
    }

    private static List<String> withIp(final String... args)
    {
        if (IP == null)
        {
            throw new IllegalStateException("iproute2's ip is not installed (apt-get install iproute2)");
        }
        final List<String> command = new ArrayList<>(args.length + 1);
        command.add(IP);
        command.addAll(List.of(args));
        return command;
    }

    private static Result run(final List<String> command)
    {
        Path outputFile = null;
        Process process = null;
        try
        {
            // Output to a file, not a pipe: waitFor's timeout then holds even if the child never closes it.
            outputFile = Files.createTempFile("psw-ip", ".out");
            process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(outputFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
            if (!process.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end within " + TIMEOUT_MS + " ms");
            }
            return new Result(command, process.exitValue(), Files.readString(outputFile, StandardCharsets.UTF_8));
        }
        catch (final IOException failed)
        {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + failed.getMessage(), failed);
        }
        catch (final InterruptedException interrupted)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), interrupted);
        }
        finally
        {
            if (outputFile != null)
            {
                try
                {
                    Files.deleteIfExists(outputFile);
                }
                catch (final IOException ignored)
                {
                    // A leftover temp file is harmless.
                }
            }
        }
    }

    /** The first candidate that is an executable file, or null. */
    static String locate(final String name, final String... candidates)
    {
        for (final String candidate : candidates)
        {
            if (Files.isExecutable(Path.of(candidate)))
            {
                return candidate;
            }
        }
        final String path = System.getenv("PATH");
        if (path != null)
        {
            for (final String dir : path.split(":"))
            {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name)))
                {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }
}
