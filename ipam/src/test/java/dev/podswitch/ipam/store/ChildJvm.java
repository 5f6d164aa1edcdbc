package dev.podswitch.ipam.store;

import dev.podswitch.ipam.ClusterIpam;
import inet.ipaddr.IPAddress;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@link AllocatingChild} in a separate JVM. The class path is the main and test class directories and the
 * IPAddress jar (the ipam module's one runtime dependency), found from classes in them, so this works whatever way
 * the test runner builds its own class path.
 * <p>
 * The child's stdout goes to a file rather than a pipe: Process.destroyForcibly closes the pipe, which would lose
 * what the child printed just before it died, and those lines are exactly the ones the crash test must check.
 * Used by one test thread.
 */
final class ChildJvm implements AutoCloseable
{
    private static final long POLL_INTERVAL_MS = 5;

    private final Process process;
    private final Path stdoutFile;
    private final Path stderrFile;
    private int readOffset;

    ChildJvm(final Path workDir, final String... args) throws IOException
    {
        stdoutFile = Files.createTempFile(workDir, "child", ".stdout");
        stderrFile = Files.createTempFile(workDir, "child", ".stderr");
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(codeLocation(ClusterIpam.class) + File.pathSeparator + codeLocation(AllocatingChild.class) +
            File.pathSeparator + codeLocation(IPAddress.class));
        command.add(AllocatingChild.class.getName());
        command.addAll(List.of(args));
        process = new ProcessBuilder(command)
            .redirectOutput(stdoutFile.toFile())
            .redirectError(stderrFile.toFile())
            .start();
    }

    void awaitReady() throws IOException, InterruptedException
    {
        final String line = readLine();
        if (!"ready".equals(line))
        {
            throw new IllegalStateException("child did not start: " + line + "\n" + stderr());
        }
    }

    void go() throws IOException
    {
        final OutputStream stdin = process.getOutputStream();
        stdin.write('\n');
        stdin.flush();
    }

    /**
     * The next complete line the child printed, waiting for it while the child runs; null once the child has
     * exited and every complete line was read. A line cut short by a kill is never returned.
     */
    String readLine() throws IOException, InterruptedException
    {
        while (true)
        {
            // Check liveness before reading, so that output written just before exiting is not missed.
            final boolean alive = process.isAlive();
            final byte[] bytes = Files.readAllBytes(stdoutFile);
            for (int i = readOffset; i < bytes.length; i++)
            {
                if (bytes[i] == '\n')
                {
                    final String line = new String(bytes, readOffset, i - readOffset, StandardCharsets.UTF_8);
                    readOffset = i + 1;
                    return line;
                }
            }
            if (!alive)
            {
                return null;
            }
            Thread.sleep(POLL_INTERVAL_MS);
        }
    }

    List<String> readAllLines() throws IOException, InterruptedException
    {
        final List<String> lines = new ArrayList<>();
        for (String line = readLine(); line != null; line = readLine())
        {
            lines.add(line);
        }
        return lines;
    }

    int waitFor() throws InterruptedException
    {
        return process.waitFor();
    }

    /**
     * SIGKILL on Linux: no shutdown hooks, no finally blocks, no flushing.
     */
    void killHard() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor();
    }

    String stderr()
    {
        try
        {
            return "child stderr:\n" + Files.readString(stderrFile);
        }
        catch (final IOException ex)
        {
            return "child stderr unreadable: " + ex;
        }
    }

    @Override
    public void close()
    {
        process.destroyForcibly();
    }

    private static String codeLocation(final Class<?> type)
    {
        try
        {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
