package dev.podswitch.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code podswitch} commands as separate processes on this test's class path — a daemon
 * ({@code agent}, {@code up}) that runs until stopped, and the client commands a user types —
 * so the tests see exactly what a user's shell would: exit status, stdout, stderr.
 */
final class DaemonProcess implements AutoCloseable
{
    record Result(int exit, String out, String err)
    {
    }

    private final Process process;
    private final Path log;

    private DaemonProcess(final Process process, final Path log)
    {
        this.process = process;
        this.log = log;
    }

    private static List<String> java(final List<String> arguments)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
            Main.class.getName()));
        command.addAll(arguments);
        return command;
    }

    /** Starts a daemon and waits until its control API socket is there. */
    static DaemonProcess start(final Path work, final Map<String, String> environment, final Path apiSocket,
        final String... arguments) throws IOException, InterruptedException
    {
        final Path log = Files.createTempFile(work, "daemon-", ".log");
        final ProcessBuilder builder = new ProcessBuilder(java(List.of(arguments))).redirectErrorStream(true)
            .redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        final DaemonProcess daemon = new DaemonProcess(builder.start(), log);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && daemon.process.isAlive()
            && (apiSocket == null ? !daemon.log().contains("tears everything down") : !Files.exists(apiSocket)))
        {
            Thread.sleep(100);
        }
        if (!daemon.process.isAlive())
        {
            throw new IllegalStateException("the daemon ended: " + daemon.log());
        }
        return daemon;
    }

    /** A client command, run to its end. */
    static Result run(final Map<String, String> environment, final String... arguments)
        throws IOException, InterruptedException
    {
        final ProcessBuilder builder = new ProcessBuilder(java(List.of(arguments)));
        builder.environment().putAll(environment);
        final Process process = builder.start();
        final var out = process.getInputStream();
        final var err = process.getErrorStream();
        final String[] errText = new String[1];
        final Thread drain = Thread.ofVirtual().start(() ->
        {
            try
            {
                errText[0] = new String(err.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (final IOException ignored)
            {
                errText[0] = "";
            }
        });
        final String outText = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException("podswitch " + String.join(" ", arguments) + " did not end");
        }
        drain.join();
        return new Result(process.exitValue(), outText, errText[0]);
    }

    String log() throws IOException
    {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    long pid()
    {
        return process.pid();
    }

    /** SIGTERM, as systemd or Ctrl-C would stop it, then wait for its teardown. */
    @Override
    public void close() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
